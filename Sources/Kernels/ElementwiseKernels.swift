import Foundation

/// A binary element-wise operation.
public enum BinaryOperation: Sendable {
  case add, subtract, multiply, divide, maximum, minimum

  @inline(__always)
  func apply(_ x: Float, _ y: Float) -> Float {
    switch self {
    case .add: return x + y
    case .subtract: return x - y
    case .multiply: return x * y
    case .divide: return x / y
    case .maximum: return Swift.max(x, y)
    case .minimum: return Swift.min(x, y)
    }
  }
}

/// A unary element-wise operation. The smooth ones are written to stay finite for any input:
/// `softplus(x) = max(x, 0) + log1p(exp(-|x|))` and `sigmoid` branches on the sign.
public enum UnaryOperation: Sendable {
  case negate, exp, log, sqrt, abs, relu, sigmoid, tanh, softplus, square
  /// 1 where x > 0, else 0: ReLU's derivative.
  case positiveMask

  @inline(__always)
  func apply(_ x: Float) -> Float {
    switch self {
    case .negate: return -x
    case .exp: return Foundation.exp(x)
    case .log: return Foundation.log(x)
    case .sqrt: return x.squareRoot()
    case .abs: return Swift.abs(x)
    case .relu: return x < 0 ? 0 : x
    case .sigmoid:
      if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
      let e = Foundation.exp(x)
      return e / (1 + e)
    case .tanh: return Foundation.tanh(x)
    case .softplus: return Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x)))
    case .square: return x * x
    case .positiveMask: return x > 0 ? 1 : 0
    }
  }
}

/// Element-wise kernels over flat row-major arrays.
public enum ElementwiseKernels {
  /// Applies `operation` to every element, in parallel for large inputs. The operation is
  /// chosen once, outside the loop, so each loop body is a tight specialised closure.
  public static func unary(_ operation: UnaryOperation, _ x: [Float]) -> [Float] {
    switch operation {
    case .negate: return map(x) { -$0 }
    case .exp: return mapVector(x) { VectorMath.exp($0) }
    case .log: return map(x) { Foundation.log($0) }
    case .sqrt: return map(x) { $0.squareRoot() }
    case .abs: return map(x) { Swift.abs($0) }
    // `x < 0 ? 0 : x` keeps NaN (as PyTorch's relu), so a diverging run cannot hide behind ReLU.
    case .relu: return map(x) { $0 < 0 ? 0 : $0 }
    case .square: return map(x) { $0 * $0 }
    case .positiveMask: return map(x) { $0 > 0 ? 1 : 0 }
    case .sigmoid:
      // σ(x) = 1/(1 + e^−|x|) for x ≥ 0 and e^−|x|/(1 + e^−|x|) below: never overflows.
      return mapVector(x) { v in
        let magnitude = v.replacing(with: -v, where: v .< 0)
        let e = VectorMath.exp(-magnitude)
        let s = 1 / (1 + e)
        return s.replacing(with: e * s, where: v .< 0)
      }
    case .tanh, .softplus: return map(x) { operation.apply($0) }
    }
  }

  /// Like `map`, eight lanes at a time (the tail is padded with zeros and discarded).
  @inline(__always)
  static func mapVector(_ x: [Float], _ function: (SIMD8<Float>) -> SIMD8<Float>) -> [Float] {
    let count = x.count
    return [Float](unsafeUninitializedCapacity: count) { out, initialized in
      x.withUnsafeBufferPointer { px in
        guard let source = px.baseAddress, let target = out.baseAddress else { return }
        parallelChunks((count + 7) / 8, minimumPerThread: 1 << 12) { range in
          for block in range {
            let start = block * 8
            if start + 8 <= count {
              let v = UnsafeRawPointer(source + start).loadUnaligned(as: SIMD8<Float>.self)
              UnsafeMutableRawPointer(target + start).storeBytes(
                of: function(v), as: SIMD8<Float>.self)
            } else {
              var tail = SIMD8<Float>(repeating: 0)
              for lane in 0..<(count - start) { tail[lane] = source[start + lane] }
              let result = function(tail)
              for lane in 0..<(count - start) { target[start + lane] = result[lane] }
            }
          }
        }
      }
      initialized = count
    }
  }

  @inline(__always)
  static func map(_ x: [Float], _ function: (Float) -> Float) -> [Float] {
    let count = x.count
    return [Float](unsafeUninitializedCapacity: count) { out, initialized in
      x.withUnsafeBufferPointer { px in
        let source = px.baseAddress!
        let target = out.baseAddress!
        parallelChunks(count, minimumPerThread: 1 << 14) { range in
          for index in range { target[index] = function(source[index]) }
        }
      }
      initialized = count
    }
  }

  /// Broadcasting binary operation. `outputShape` is the broadcast shape; `aStrides` and
  /// `bStrides` give, for each output axis, the stride into `a` and `b` (0 on broadcast axes).
  public static func binary(
    _ operation: BinaryOperation, _ a: [Float], aStrides: [Int], _ b: [Float], bStrides: [Int],
    outputShape: [Int]
  ) -> [Float] {
    let count = outputShape.reduce(1, *)
    let rank = outputShape.count
    precondition(aStrides.count == rank && bStrides.count == rank, "binary: stride rank mismatch")
    if count == 0 { return [] }
    let contiguous = Self.contiguousStrides(outputShape)
    let aDense = a.count == count && aStrides == contiguous
    let bDense = b.count == count && bStrides == contiguous
    return [Float](unsafeUninitializedCapacity: count) { out, initialized in
      a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
          let x = pa.baseAddress!
          let y = pb.baseAddress!
          let z = out.baseAddress!
          if aDense && bDense {
            Self.dispatch(operation) { function in
              parallelChunks(count, minimumPerThread: 1 << 16) { range in
                for index in range { z[index] = function(x[index], y[index]) }
              }
            }
          } else if aDense && b.count == 1 {
            let scalar = y[0]
            Self.dispatch(operation) { function in
              parallelChunks(count, minimumPerThread: 1 << 16) { range in
                for index in range { z[index] = function(x[index], scalar) }
              }
            }
          } else if bDense && a.count == 1 {
            let scalar = x[0]
            Self.dispatch(operation) { function in
              parallelChunks(count, minimumPerThread: 1 << 16) { range in
                for index in range { z[index] = function(scalar, y[index]) }
              }
            }
          } else {
            stridedBinary(
              operation, x, aStrides, y, bStrides, z, outputShape: outputShape, count: count)
          }
        }
      }
      initialized = count
    }
  }

  /// Calls `body` with a closure for `operation`, so the switch happens once per call and each
  /// loop is specialised (and vectorised) for its operation.
  @inline(__always)
  static func dispatch(_ operation: BinaryOperation, _ body: ((Float, Float) -> Float) -> Void) {
    switch operation {
    case .add: body { $0 + $1 }
    case .subtract: body { $0 - $1 }
    case .multiply: body { $0 * $1 }
    case .divide: body { $0 / $1 }
    case .maximum: body { Swift.max($0, $1) }
    case .minimum: body { Swift.min($0, $1) }
    }
  }

  /// The general case: walks the output with the innermost axis as a tight strided loop.
  private static func stridedBinary(
    _ operation: BinaryOperation,
    _ x: UnsafePointer<Float>, _ aStrides: [Int],
    _ y: UnsafePointer<Float>, _ bStrides: [Int],
    _ z: UnsafeMutablePointer<Float>, outputShape: [Int], count: Int
  ) {
    let rank = outputShape.count
    let inner = outputShape[rank - 1]
    let rows = count / inner
    dispatch(operation) { function in
      parallelChunks(rows, minimumPerThread: max(1, (1 << 15) / inner)) { range in
        stridedRows(range, function, x, aStrides, y, bStrides, z, outputShape: outputShape)
      }
    }
  }

  /// Rows `range` of the strided walk; contiguous inner axes get a unit-stride loop that the
  /// compiler vectorises.
  @inline(__always)
  private static func stridedRows(
    _ range: Range<Int>, _ function: (Float, Float) -> Float,
    _ x: UnsafePointer<Float>, _ aStrides: [Int],
    _ y: UnsafePointer<Float>, _ bStrides: [Int],
    _ z: UnsafeMutablePointer<Float>, outputShape: [Int]
  ) {
    let rank = outputShape.count
    let inner = outputShape[rank - 1]
    let innerA = aStrides[rank - 1]
    let innerB = bStrides[rank - 1]
    do {
      var index = [Int](repeating: 0, count: rank)
      for row in range {
        // Decompose `row` over the outer axes to find the two input offsets.
        var remainder = row
        var offsetA = 0
        var offsetB = 0
        var axis = rank - 2
        while axis >= 0 {
          index[axis] = remainder % outputShape[axis]
          remainder /= outputShape[axis]
          offsetA += index[axis] * aStrides[axis]
          offsetB += index[axis] * bStrides[axis]
          axis -= 1
        }
        let target = z + row * inner
        let a = x + offsetA
        let b = y + offsetB
        if innerA == 1 && innerB == 1 {
          for column in 0..<inner { target[column] = function(a[column], b[column]) }
        } else if innerA == 1 && innerB == 0 {
          let scalar = b[0]
          for column in 0..<inner { target[column] = function(a[column], scalar) }
        } else if innerA == 0 && innerB == 1 {
          let scalar = a[0]
          for column in 0..<inner { target[column] = function(scalar, b[column]) }
        } else {
          for column in 0..<inner {
            target[column] = function(a[column * innerA], b[column * innerB])
          }
        }
      }
    }
  }

  /// The obvious one-index-at-a-time broadcast: the oracle for `binary`.
  public static func naiveBinary(
    _ operation: BinaryOperation, _ a: [Float], aStrides: [Int], _ b: [Float], bStrides: [Int],
    outputShape: [Int]
  ) -> [Float] {
    let count = outputShape.reduce(1, *)
    var out = [Float](repeating: 0, count: count)
    for flat in 0..<count {
      var remainder = flat
      var offsetA = 0
      var offsetB = 0
      for axis in stride(from: outputShape.count - 1, through: 0, by: -1) {
        let coordinate = remainder % outputShape[axis]
        remainder /= outputShape[axis]
        offsetA += coordinate * aStrides[axis]
        offsetB += coordinate * bStrides[axis]
      }
      out[flat] = operation.apply(a[offsetA], b[offsetB])
    }
    return out
  }

  /// Row-major strides of a contiguous array of this shape.
  public static func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var running = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
      strides[axis] = running
      running *= shape[axis]
    }
    return strides
  }
}

extension ElementwiseKernels {
  /// `a = max(a + b, 0)` in place, for equal-length arrays: a residual connection's add and ReLU
  /// without an intermediate array.
  public static func addReLU(into a: inout [Float], _ b: [Float]) {
    precondition(a.count == b.count, "addReLU: \(a.count) vs \(b.count) elements")
    let count = a.count
    a.withUnsafeMutableBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        guard let x = pa.baseAddress, let y = pb.baseAddress else { return }
        parallelChunks(count, minimumPerThread: 1 << 16) { range in
          for index in range { x[index] = Swift.max(x[index] + y[index], 0) }
        }
      }
    }
  }

  /// `max(a + b, 0)` element by element: the residual add and ReLU in one pass.
  public static func addReLU(_ a: [Float], _ b: [Float]) -> [Float] {
    precondition(a.count == b.count, "addReLU: \(a.count) vs \(b.count) elements")
    let count = a.count
    return [Float](unsafeUninitializedCapacity: count) { out, initialized in
      a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
          guard let x = pa.baseAddress, let y = pb.baseAddress, let z = out.baseAddress else {
            return
          }
          parallelChunks(count, minimumPerThread: 1 << 16) { range in
            for index in range { z[index] = Swift.max(x[index] + y[index], 0) }
          }
        }
      }
      initialized = count
    }
  }

  /// `g` where `y > 0`, else 0: the gradient through a ReLU (fused or not) whose output is `y`.
  public static func positiveMasked(_ g: [Float], by y: [Float]) -> [Float] {
    precondition(g.count == y.count, "positiveMasked: \(g.count) vs \(y.count) elements")
    let count = g.count
    return [Float](unsafeUninitializedCapacity: count) { out, initialized in
      g.withUnsafeBufferPointer { pg in
        y.withUnsafeBufferPointer { py in
          guard let gradient = pg.baseAddress, let output = py.baseAddress,
            let target = out.baseAddress
          else { return }
          parallelChunks(count, minimumPerThread: 1 << 16) { range in
            // Explicit lanes: a scalar select compiles to a branch that mispredicts on half
            // of ReLU's inputs.
            var index = range.lowerBound
            while index + 8 <= range.upperBound {
              let y = UnsafeRawPointer(output + index).loadUnaligned(as: SIMD8<Float>.self)
              var g = UnsafeRawPointer(gradient + index).loadUnaligned(as: SIMD8<Float>.self)
              g.replace(with: 0, where: .!(y .> 0))
              UnsafeMutableRawPointer(target + index).storeBytes(of: g, as: SIMD8<Float>.self)
              index += 8
            }
            while index < range.upperBound {
              target[index] = output[index] > 0 ? gradient[index] : 0
              index += 1
            }
          }
        }
      }
      initialized = count
    }
  }
}
