import Foundation

/// A value read from a pickle stream by `Unpickler`: Python's built-in types, plus the few
/// objects that allow-listed callables rebuild (torch tensors, numpy arrays and dtypes).
///
/// Python 2 `str` (SHORT_BINSTRING/BINSTRING) becomes `.bytes`, as `pickle.load(f,
/// encoding="bytes")` does, so the CIFAR-10 batch files keep their `b"data"` keys.
/// `collections.OrderedDict` becomes an ordinary `.dict`, whose entries keep their order.
public indirect enum PickleValue: Equatable, Sendable {
  /// `None`.
  case none
  /// `True` / `False`.
  case bool(Bool)
  /// An `int` that fits in 64 bits.
  case int(Int)
  /// A `float`.
  case float(Double)
  /// A `str`.
  case string(String)
  /// `bytes`, `bytearray`, or a Python 2 `str`.
  case bytes([UInt8])
  /// A `tuple`.
  case tuple([PickleValue])
  /// A `list`.
  case list([PickleValue])
  /// A `dict` or `OrderedDict`, in insertion order.
  case dict([Entry])
  /// A `set` or `frozenset`, in stream order.
  case set([PickleValue])
  /// An allowed class or function that was referenced but not called (`torch.FloatStorage`).
  case global(PickleCallable)
  /// A persistent id (`BINPERSID`): a reference the pickle makes to data outside itself.
  case persistentID(PickleValue)
  /// A tensor rebuilt by `torch._utils._rebuild_tensor_v2`; its data lives outside the pickle.
  case tensor(TorchTensorReference)
  /// A `numpy.ndarray` rebuilt by `numpy.core.multiarray._reconstruct` and its state.
  case ndarray(NumpyArray)
  /// A `numpy.dtype`.
  case numpyDType(NumpyDType)

  /// One key–value pair of a `.dict`.
  public struct Entry: Equatable, Sendable {
    /// The key.
    public let key: PickleValue
    /// The value.
    public let value: PickleValue

    /// Creates an entry.
    public init(key: PickleValue, value: PickleValue) {
      self.key = key
      self.value = value
    }
  }

  /// The value stored under a `str` key, or under the `bytes` key with the same UTF-8 spelling
  /// (`b"labels"`); `nil` for a missing key or a value that is not a dict.
  public subscript(key: String) -> PickleValue? {
    guard case .dict(let entries) = self else { return nil }
    let utf8 = Array(key.utf8)
    return entries.last { entry in
      switch entry.key {
      case .string(let string): string == key
      case .bytes(let bytes): bytes == utf8
      default: false
      }
    }?.value
  }

  /// The integer, for `.int` and `.bool`.
  public var integerValue: Int? {
    switch self {
    case .int(let value): value
    case .bool(let value): value ? 1 : 0
    default: nil
    }
  }

  /// The string, for `.string` and for `.bytes` that are valid UTF-8.
  public var stringValue: String? {
    switch self {
    case .string(let string): string
    case .bytes(let bytes): String(bytes: bytes, encoding: .utf8)
    default: nil
    }
  }

  /// The elements, for `.list`, `.tuple` and `.set`.
  public var elements: [PickleValue]? {
    switch self {
    case .list(let values), .tuple(let values), .set(let values): values
    default: nil
    }
  }

  /// A short name of the value's Python type, for error messages.
  public var typeName: String {
    switch self {
    case .none: "None"
    case .bool: "bool"
    case .int: "int"
    case .float: "float"
    case .string: "str"
    case .bytes: "bytes"
    case .tuple: "tuple"
    case .list: "list"
    case .dict: "dict"
    case .set: "set"
    case .global(let callable): "`\(callable.qualifiedName)`"
    case .persistentID: "persistent id"
    case .tensor: "tensor"
    case .ndarray: "numpy.ndarray"
    case .numpyDType: "numpy.dtype"
    }
  }
}
