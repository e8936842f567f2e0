/// The closed list of Python globals the unpickler can resolve, each implemented in Swift.
///
/// A pickle names classes and functions by `module.name` and asks the reader to import and call
/// them — which is how a malicious file runs `os.system`. This reader never imports anything:
/// a global resolves only to one of these cases, and only when it is in the allow-list passed to
/// `Unpickler.load`; everything else is refused with `PickleError.Kind.forbiddenGlobal`.
public enum PickleCallable: String, CaseIterable, Hashable, Sendable {
  /// `collections.OrderedDict`: `OrderedDict()` → an empty dict.
  case orderedDict = "collections.OrderedDict"
  /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)`.
  case rebuildTensorV2 = "torch._utils._rebuild_tensor_v2"
  /// `torch._utils._rebuild_parameter(data, requires_grad, hooks)` → `data`.
  case rebuildParameter = "torch._utils._rebuild_parameter"
  /// `torch._utils._rebuild_parameter_with_state(data, requires_grad, hooks, state)` → `data`.
  case rebuildParameterWithState = "torch._utils._rebuild_parameter_with_state"
  /// `torch.FloatStorage` (float32), named in a storage's persistent id.
  case floatStorage = "torch.FloatStorage"
  /// `torch.HalfStorage` (float16).
  case halfStorage = "torch.HalfStorage"
  /// `torch.BFloat16Storage` (bfloat16).
  case bfloat16Storage = "torch.BFloat16Storage"
  /// `torch.DoubleStorage` (float64).
  case doubleStorage = "torch.DoubleStorage"
  /// `torch.LongStorage` (int64).
  case longStorage = "torch.LongStorage"
  /// `torch.IntStorage` (int32).
  case intStorage = "torch.IntStorage"
  /// `torch.ShortStorage` (int16).
  case shortStorage = "torch.ShortStorage"
  /// `torch.CharStorage` (int8).
  case charStorage = "torch.CharStorage"
  /// `torch.ByteStorage` (uint8).
  case byteStorage = "torch.ByteStorage"
  /// `torch.BoolStorage` (bool, one byte).
  case boolStorage = "torch.BoolStorage"
  /// `torch.UntypedStorage` (raw bytes, as torch ≥ 2 saves an untyped storage).
  case untypedStorage = "torch.UntypedStorage"
  /// `builtins.set` (protocol 2 writes `set([...])` as a REDUCE).
  case set = "builtins.set"
  /// `builtins.frozenset`.
  case frozenset = "builtins.frozenset"
  /// `_codecs.encode(text, "latin1")`: how Python 3 writes `bytes` at protocol 2.
  case codecsEncode = "_codecs.encode"
  /// `numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b"b")`, followed by BUILD.
  case numpyReconstruct = "numpy.core.multiarray._reconstruct"
  /// The same function under numpy ≥ 2's module name.
  case numpyReconstructV2 = "numpy._core.multiarray._reconstruct"
  /// `numpy.ndarray`, only as the first argument of `_reconstruct`.
  case numpyNDArray = "numpy.ndarray"
  /// `numpy.dtype("u1", False, True)`, followed by BUILD with the byte order.
  case numpyDType = "numpy.dtype"

  /// `module.name`.
  public var qualifiedName: String { rawValue }

  /// The callable a `GLOBAL module name` refers to, if this reader implements it. Python 2's
  /// `__builtin__` (which Python 3 writes at protocol ≤ 2) is read as `builtins`.
  public init?(module: String, name: String) {
    self.init(rawValue: "\(module == "__builtin__" ? "builtins" : module).\(name)")
  }

  /// The storage element type, for the `torch.*Storage` classes.
  public var storageType: StoredScalarType? {
    switch self {
    case .floatStorage: .float32
    case .halfStorage: .float16
    case .bfloat16Storage: .bfloat16
    case .doubleStorage: .float64
    case .longStorage: .int64
    case .intStorage: .int32
    case .shortStorage: .int16
    case .charStorage: .int8
    case .byteStorage, .untypedStorage: .uint8
    case .boolStorage: .bool
    default: nil
    }
  }
}

extension Set where Element == PickleCallable {
  /// What `torch.save` of a state dict or a checkpoint dict needs: tensors, parameters, storages
  /// and `OrderedDict` (plus sets, which plain checkpoint dicts sometimes hold).
  public static let torchCheckpoint: Set<PickleCallable> = [
    .orderedDict, .rebuildTensorV2, .rebuildParameter, .rebuildParameterWithState,
    .floatStorage, .halfStorage, .bfloat16Storage, .doubleStorage, .longStorage, .intStorage,
    .shortStorage, .charStorage, .byteStorage, .boolStorage, .untypedStorage, .set, .frozenset,
  ]

  /// What `pickle.dump` of numpy arrays in plain containers needs (the CIFAR-10 batch files).
  public static let numpyArrays: Set<PickleCallable> = [
    .numpyReconstruct, .numpyReconstructV2, .numpyNDArray, .numpyDType, .codecsEncode,
    .orderedDict, .set, .frozenset,
  ]

  /// Only Python's built-in containers and scalars; no global resolves.
  public static let builtinsOnly: Set<PickleCallable> = []
}
