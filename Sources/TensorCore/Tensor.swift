import Foundation
import Kernels

/// An n-dimensional array of `Float`, row-major and contiguous, with value semantics.
///
/// Storage is a Swift `[Float]`, which already is copy-on-write (a uniquely referenced buffer is
/// mutated in place, a shared one is copied first), so `Tensor` needs no storage class of its own.
/// A tensor that takes part in differentiation carries a `GradNode`; see `Autograd.swift`.
///
/// Sendable so batches can cross threads (data loaders): the values are an immutable-by-COW
/// array, and a tape node is only mutated by `backward()`, which runs on one thread.
public struct Tensor: CustomStringConvertible, @unchecked Sendable {
  /// The extent of each axis, outermost first. `[]` is a scalar.
  public let shape: [Int]
  /// The elements in row-major order.
  public internal(set) var scalars: [Float]
  /// The tape entry that produced this tensor, or the leaf that owns its gradient.
  var node: GradNode?

  /// Creates a tensor from row-major `scalars`; their count must equal the product of `shape`.
  public init(shape: [Int], scalars: [Float]) {
    precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in shape \(shape)")
    precondition(
      shape.reduce(1, *) == scalars.count,
      "Tensor: \(scalars.count) scalars do not fill shape \(shape)")
    self.shape = shape
    self.scalars = scalars
    self.node = nil
  }

  init(shape: [Int], scalars: [Float], node: GradNode?) {
    self.init(shape: shape, scalars: scalars)
    self.node = node
  }

  /// A scalar (rank-0) tensor.
  public init(_ value: Float) { self.init(shape: [], scalars: [value]) }

  /// A 1-D tensor.
  public init(_ values: [Float]) { self.init(shape: [values.count], scalars: values) }

  /// A 2-D tensor from rows of equal length.
  public init(_ rows: [[Float]]) {
    let columns = rows.first?.count ?? 0
    precondition(rows.allSatisfy { $0.count == columns }, "Tensor: ragged rows")
    self.init(shape: [rows.count, columns], scalars: rows.flatMap { $0 })
  }

  /// A tensor filled with `value`.
  public init(repeating value: Float, shape: [Int]) {
    self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
  }

  /// Zeros of the given shape.
  public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }

  /// Ones of the given shape.
  public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }

  /// `[start, start + step, …]` below `end`, like `torch.arange`.
  public static func arange(_ start: Float = 0, _ end: Float, step: Float = 1) -> Tensor {
    precondition(step != 0, "arange: step must not be zero")
    let count = Swift.max(0, Int(((end - start) / step).rounded(.up)))
    return Tensor((0..<count).map { start + Float($0) * step })
  }

  /// Number of axes.
  public var rank: Int { shape.count }
  /// Number of elements.
  public var count: Int { scalars.count }
  /// The single element of a one-element tensor.
  public var item: Float {
    precondition(scalars.count == 1, "item: tensor of shape \(shape) has \(scalars.count) elements")
    return scalars[0]
  }

  /// The same values, detached from the tape: gradients do not flow through the result.
  public var detached: Tensor { Tensor(shape: shape, scalars: scalars) }

  /// Overwrites the values in place without recording anything on the tape (used by optimizers
  /// and state-dict loading). The tensor's tape connection, if any, is kept.
  public mutating func assign(_ values: [Float]) {
    precondition(values.count == scalars.count, "assign: \(values.count) values for shape \(shape)")
    scalars = values
  }

  /// Mutates the values in place without recording anything on the tape.
  public mutating func withMutableScalars<R>(_ body: (inout [Float]) throws -> R) rethrows -> R {
    let before = scalars.count
    let result = try body(&scalars)
    precondition(scalars.count == before, "withMutableScalars: the element count must not change")
    return result
  }

  /// The address of the storage (tests: an in-place update keeps it, a copy changes it).
  var storageAddress: UInt { StorageIdentity.address(of: scalars) }

  /// Row-major strides.
  public var strides: [Int] { ElementwiseKernels.contiguousStrides(shape) }

  /// The element at a multi-index.
  public subscript(_ indices: Int...) -> Float {
    precondition(indices.count == rank, "subscript: \(indices.count) indices for rank \(rank)")
    var offset = 0
    for (axis, index) in indices.enumerated() {
      precondition(index >= 0 && index < shape[axis], "subscript: index \(index) out of range")
      offset += index * strides[axis]
    }
    return scalars[offset]
  }

  /// A short summary: shape and up to eight values.
  public var description: String {
    let shown = scalars.prefix(8).map { String(format: "%.6g", Double($0)) }.joined(separator: ", ")
    return "Tensor(shape: \(shape), [\(shown)\(scalars.count > 8 ? ", …" : "")])"
  }
}

extension Tensor: Equatable {
  /// Equal when shapes and values are equal; tape state is ignored.
  public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
    lhs.shape == rhs.shape && lhs.scalars == rhs.scalars
  }
}

extension Tensor {
  /// A tensor of `Double` values converted to `Float`.
  public init(shape: [Int], doubles: [Double]) {
    self.init(shape: shape, scalars: doubles.map(Float.init))
  }
}
