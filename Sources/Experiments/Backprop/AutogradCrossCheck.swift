import TensorCore

/// Recomputes Part 2's gradients with the tensor engine's reverse-mode autograd (Float), as a
/// second independent check of the hand-written back-propagation (Double).
enum AutogradCrossCheck {
  /// `∂E/∂w^(l)` for every layer, and `∂E/∂b^(l)` when the network has biases, from
  /// `backward()` on `E = ½ (y − t)²`.
  static func gradients(of network: LogisticNetwork, x: [Double], target: Double)
    -> (weights: [[[Double]]], biases: [[Double]]?)
  {
    let weights = network.weights.map { matrix in
      Tensor(matrix.map { $0.map(Float.init) }).requiringGradient()
    }
    let biases = network.biases?.map { Tensor($0.map(Float.init)).requiringGradient() }
    var z = Tensor(shape: [network.sizes[0], 1], scalars: x.map(Float.init))
    for layer in 1...network.depth {
      var a = weights[layer - 1].matmul(z)
      if let biases { a = a + biases[layer - 1].reshaped(to: [-1, 1]) }
      z = layer == network.depth ? a : a.sigmoid()
    }
    let residual = z - Float(target)
    (0.5 * residual.squared()).sum().backward()
    let weightGradients = zip(weights, network.sizes.indices.dropFirst()).map { weight, layer in
      let columns = network.sizes[layer - 1]
      let values = weight.gradient?.scalars ?? []
      return (0..<network.sizes[layer]).map { k in
        (0..<columns).map { Double(values[k * columns + $0]) }
      }
    }
    let biasGradients = biases.map { tensors in
      zip(tensors, network.sizes.dropFirst()).map { bias, count in
        let values = bias.gradient?.scalars ?? []
        return (0..<count).map { $0 < values.count ? Double(values[$0]) : .nan }
      }
    }
    return (weightGradients, biasGradients)
  }
}
