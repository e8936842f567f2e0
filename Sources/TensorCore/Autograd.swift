import Kernels

/// Reverse-mode automatic differentiation on a tape built as operations run.
///
/// Every differentiable result holds a `GradNode` naming its inputs' nodes and a pullback that
/// maps the gradient of the result to the gradients of the inputs. `backward()` walks the nodes
/// in reverse topological order. Leaves (tensors made with `requiringGradient()` and layer
/// parameters) keep their gradient; intermediate gradients are dropped as soon as they are used.
///
/// A finished backward releases the graph it walked, as PyTorch does without `retain_graph`:
/// each node drops its pullback (and with it every tensor the pullback captured, weights
/// included) and its inputs once its gradient has been propagated. So after `loss.backward()`
/// no parameter's storage is shared with the tape, even while `loss` or the logits are alive,
/// and an in-place optimizer step does not copy the weights. Walking a released graph again is
/// a programmer error and traps with a message saying so.
final class GradNode {
  /// The nodes of the inputs, in the order the pullback returns their gradients; emptied when
  /// the node is released.
  private(set) var inputs: [GradNode]
  /// Maps the result's gradient to one gradient per input (nil where an input needs none);
  /// nil for leaves and for released nodes.
  private(set) var pullback: ((Tensor) -> [Tensor?])?
  /// The operation's name, for error messages.
  let operation: String
  /// Whether the node is a leaf (its gradient is kept), as opposed to an operation's result.
  let isLeaf: Bool
  /// Whether a backward pass has released this (non-leaf) node.
  private(set) var isReleased = false
  /// Accumulated gradient: final for leaves, transient for intermediate nodes.
  var gradient: Tensor?

  init(inputs: [GradNode], operation: String, pullback: ((Tensor) -> [Tensor?])?) {
    self.inputs = inputs
    self.operation = operation
    self.pullback = pullback
    self.isLeaf = pullback == nil
  }

  /// Drops the pullback, its captured tensors and the inputs (non-leaf nodes only).
  func release() {
    guard !isLeaf else { return }
    pullback = nil
    inputs = []
    gradient = nil
    isReleased = true
  }

  func accumulate(_ incoming: Tensor) {
    if let existing = gradient {
      let strides = ElementwiseKernels.contiguousStrides(existing.shape)
      gradient = Tensor(
        shape: existing.shape,
        scalars: ElementwiseKernels.binary(
          .add, existing.scalars, aStrides: strides, incoming.scalars, bStrides: strides,
          outputShape: existing.shape))
    } else {
      gradient = incoming.detached
    }
  }
}

/// Switches gradient recording on or off for a scope.
public enum Autograd {
  @TaskLocal static var isRecording = true

  /// Whether operations currently record onto the tape.
  public static var isEnabled: Bool { isRecording }

  /// Runs `body` without recording: results carry no tape, so nothing is retained for backward
  /// (the equivalent of `torch.no_grad()`).
  public static func withoutGradient<R>(_ body: () throws -> R) rethrows -> R {
    try $isRecording.withValue(false, operation: body)
  }
}

extension Tensor {
  /// Whether gradients flow back through this tensor.
  public var requiresGradient: Bool { node != nil }

  /// This tensor as a leaf of the tape: after `backward()`, `gradient` holds ∂loss/∂self.
  public func requiringGradient() -> Tensor {
    Tensor(
      shape: shape, scalars: scalars, node: GradNode(inputs: [], operation: "leaf", pullback: nil))
  }

  /// The accumulated gradient of a leaf after `backward()`; nil before, or for non-leaves.
  public var gradient: Tensor? {
    guard let node, node.isLeaf else { return nil }
    return node.gradient
  }

  /// Replaces a leaf's gradient (gradient clipping, tests, optimizers driven by hand).
  public func setGradient(_ gradient: Tensor?) {
    guard let node, node.isLeaf else { return }
    precondition(
      gradient.map { $0.shape == shape } ?? true,
      "setGradient: shape \(gradient?.shape ?? []) ≠ \(shape)")
    node.gradient = gradient?.detached
  }

  /// Clears the accumulated gradient of a leaf.
  public func zeroGradient() { if let node, node.isLeaf { node.gradient = nil } }

  /// Records `operation` producing `(shape, scalars)` from `inputs`, when any input is on the
  /// tape and recording is enabled; otherwise returns a plain tensor.
  static func record(
    _ operation: String, shape: [Int], scalars: [Float], inputs: [Tensor],
    pullback: @escaping (Tensor) -> [Tensor?]
  ) -> Tensor {
    guard Autograd.isRecording, inputs.contains(where: { $0.node != nil }) else {
      return Tensor(shape: shape, scalars: scalars)
    }
    // Inputs off the tape get a throwaway node so that indices line up with the pullback.
    let nodes = inputs.map { $0.node ?? GradNode(inputs: [], operation: "constant", pullback: nil) }
    let node = GradNode(inputs: nodes, operation: operation, pullback: pullback)
    return Tensor(shape: shape, scalars: scalars, node: node)
  }

  /// Back-propagates from this scalar: every leaf it depends on accumulates ∂self/∂leaf.
  /// Gradients accumulate across calls, as in PyTorch; clear them with `zeroGradient()`.
  ///
  /// The pass then releases the graph (every saved tensor, see `GradNode`): calling `backward`
  /// again on this result, or on another result whose graph shares an operation with it, is a
  /// programmer error that traps ("backward through the graph a second time"); run the forward
  /// pass again instead.
  public func backward() {
    precondition(count == 1, "backward: needs a one-element tensor, got shape \(shape)")
    backward(seed: Tensor(shape: shape, scalars: [1]))
  }

  /// Back-propagates a given output gradient `seed` (same shape as self).
  public func backward(seed: Tensor) {
    precondition(seed.shape == shape, "backward: seed shape \(seed.shape) ≠ \(shape)")
    guard let root = node else { return }
    // Iterative depth-first topological order (deep networks would overflow recursion).
    var order: [GradNode] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(GradNode, Bool)] = [(root, false)]
    while let (current, expanded) = stack.popLast() {
      if expanded {
        order.append(current)
        continue
      }
      if !visited.insert(ObjectIdentifier(current)).inserted { continue }
      precondition(
        !current.isReleased,
        "backward: trying to backward through the graph a second time: the result of "
          + "'\(current.operation)' was already back-propagated and its saved tensors released; "
          + "run the forward pass again")
      stack.append((current, true))
      for input in current.inputs where !visited.contains(ObjectIdentifier(input)) {
        stack.append((input, false))
      }
    }
    root.accumulate(seed)
    Autograd.withoutGradient {
      propagate(order)
    }
  }

  /// Runs each node's pullback in reverse topological order, then releases the node: its
  /// gradient has reached every input, so nothing needs what it captured any more.
  private func propagate(_ order: [GradNode]) {
    for current in order.reversed() {
      defer { current.release() }
      guard let pullback = current.pullback, let gradient = current.gradient else { continue }
      current.gradient = nil
      let inputGradients = pullback(gradient)
      for (input, inputGradient) in zip(current.inputs, inputGradients) {
        if let inputGradient { input.accumulate(inputGradient) }
      }
    }
  }
}
