/// The Swift implementations of the allow-listed callables (REDUCE, NEWOBJ) and of BUILD on the
/// objects they create. Each checks its arguments exactly and throws `invalidArguments` otherwise.
extension PickleMachine {
  /// `callable(*arguments)` for an allowed callable.
  mutating func call(_ callable: PickleItem, arguments: PickleItem) throws -> PickleItem {
    guard case .global(let function) = callable else {
      throw fail(
        .typeMismatch(opcode: opcodeName, expected: "an allowed callable", found: callable.typeName)
      )
    }
    guard case .tuple(let tupleIndex) = arguments else {
      throw fail(
        .typeMismatch(opcode: opcodeName, expected: "an argument tuple", found: arguments.typeName))
    }
    let arguments = tuples[tupleIndex]
    func invalid(_ detail: String) -> PickleError {
      fail(.invalidArguments(callable: function.qualifiedName, detail: detail))
    }
    switch function {
    case .orderedDict:
      guard arguments.isEmpty else { throw invalid("expected no arguments") }
      dicts.append(PickleDictStore())
      return .dict(dicts.count - 1)
    case .set, .frozenset:
      guard arguments.count <= 1 else { throw invalid("expected at most one argument") }
      var elements: [PickleItem] = []
      if let argument = arguments.first {
        guard let sequence = sequence(argument) else {
          throw invalid("expected a list or tuple, got \(argument.typeName)")
        }
        elements = sequence
      }
      sets.append(elements)
      return .set(sets.count - 1)
    case .codecsEncode:
      guard arguments.count == 2, case .string(let text) = arguments[0],
        case .string(let encoding) = arguments[1], ["latin1", "latin-1"].contains(encoding)
      else {
        throw invalid("expected (str, \"latin1\")")
      }
      var result = [UInt8]()
      for scalar in text.unicodeScalars {
        guard scalar.value < 256 else {
          throw invalid("character U+\(scalar.value) is not latin-1")
        }
        result.append(UInt8(scalar.value))
      }
      return .bytes(result)
    case .rebuildTensorV2:
      return .tensor(try rebuildTensor(arguments, invalid: invalid))
    case .rebuildParameter, .rebuildParameterWithState:
      let expected = function == .rebuildParameter ? 3 : 4
      guard arguments.count == expected, case .tensor = arguments[0] else {
        throw invalid("expected (tensor, requires_grad, hooks\(expected == 4 ? ", state" : ""))")
      }
      return arguments[0]
    case .numpyReconstruct, .numpyReconstructV2:
      guard arguments.count == 3, case .global(.numpyNDArray) = arguments[0] else {
        throw invalid("expected (numpy.ndarray, (0,), b\"b\")")
      }
      objects.append(.pendingArray)
      return .object(objects.count - 1)
    case .numpyDType:
      guard (1...3).contains(arguments.count), let code = text(arguments[0]) else {
        throw invalid("expected (type code, align, copy)")
      }
      guard let dtype = NumpyDType(code: code) else {
        throw invalid(
          "dtype '\(code)' is not supported (supported: u1 u2 u4 u8 i1 i2 i4 i8 f2 f4 f8 b1)")
      }
      objects.append(.dtype(dtype))
      return .object(objects.count - 1)
    default:
      throw invalid("it is a class that may only appear as an argument, not be called")
    }
  }

  /// A `str`, or `bytes` holding UTF-8 (Python 2 strings).
  func text(_ item: PickleItem) -> String? {
    switch item {
    case .string(let string): string
    case .bytes(let bytes): String(bytes: bytes, encoding: .utf8)
    default: nil
    }
  }

  /// Non-negative integers from a tuple or list.
  func integers(_ item: PickleItem) -> [Int]? {
    guard let elements = sequence(item) else { return nil }
    let values = elements.compactMap { element -> Int? in
      if case .int(let value) = element, value >= 0 { return value }
      return nil
    }
    return values.count == elements.count ? values : nil
  }

  /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks
  /// [, metadata])`, where `storage` is the persistent id
  /// `("storage", torch.FloatStorage, key, location, numel)`.
  private func rebuildTensor(_ arguments: [PickleItem], invalid: (String) -> PickleError) throws
    -> TorchTensorReference
  {
    guard arguments.count == 6 || arguments.count == 7 else {
      throw invalid("expected 6 or 7 arguments, got \(arguments.count)")
    }
    guard case .persistentID(let pidIndex) = arguments[0],
      case .tuple(let pidTuple) = persistentIDs[pidIndex]
    else {
      throw invalid("the storage is \(arguments[0].typeName), not a persistent id")
    }
    let pid = tuples[pidTuple]
    guard pid.count == 5, text(pid[0]) == "storage", case .global(let storageClass) = pid[1],
      let scalarType = storageClass.storageType, let key = text(pid[2]),
      let location = text(pid[3]), case .int(let count) = pid[4], count >= 0
    else {
      throw invalid(
        "the storage id is not (\"storage\", torch.<Type>Storage, key, location, numel)")
    }
    guard case .int(let offset) = arguments[1], offset >= 0 else {
      throw invalid("storage_offset is not a non-negative int")
    }
    guard let shape = integers(arguments[2]), let strides = integers(arguments[3]),
      shape.count == strides.count
    else {
      throw invalid("size and stride are not tuples of non-negative ints of equal length")
    }
    return TorchTensorReference(
      storage: TorchStorageReference(
        scalarType: scalarType, key: key, location: location, elementCount: count),
      storageOffset: offset, shape: shape, strides: strides)
  }

  /// BUILD: `obj.__setstate__(state)` for the objects the allowed callables create.
  mutating func build(_ target: PickleItem, state: PickleItem) throws {
    switch target {
    case .dict:
      // An OrderedDict's attributes (a state dict's `_metadata` of module versions): not needed.
      switch state {
      case .dict, .none: return
      default:
        throw fail(
          .typeMismatch(opcode: opcodeName, expected: "a dict state", found: state.typeName))
      }
    case .object(let index):
      switch objects[index] {
      case .pendingArray:
        objects[index] = .array(try numpyArray(state: state))
      case .dtype(var dtype):
        // (version, byteorder, subarray, names, fields, elsize, alignment, flags)
        guard let fields = sequence(state), fields.count >= 2, let order = text(fields[1]) else {
          throw fail(
            .invalidArguments(
              callable: PickleCallable.numpyDType.qualifiedName,
              detail: "the dtype state is not (version, byteorder, …)"))
        }
        dtype.isBigEndian = order == ">"
        objects[index] = .dtype(dtype)
      case .array:
        throw fail(
          .invalidArguments(
            callable: PickleCallable.numpyReconstruct.qualifiedName,
            detail: "the array is given its contents twice"))
      }
    default:
      throw fail(
        .typeMismatch(
          opcode: opcodeName, expected: "an object an allowed callable created",
          found: target.typeName))
    }
  }

  /// `ndarray.__setstate__((version, shape, dtype, is_fortran, data))` (version optional).
  private func numpyArray(state: PickleItem) throws -> NumpyArray {
    func invalid(_ detail: String) -> PickleError {
      fail(
        .invalidArguments(callable: PickleCallable.numpyReconstruct.qualifiedName, detail: detail))
    }
    guard var fields = sequence(state), fields.count == 4 || fields.count == 5 else {
      throw invalid("the array state is not (version, shape, dtype, is_fortran, data)")
    }
    if fields.count == 5 { fields.removeFirst() }
    guard let shape = integers(fields[0]) else { throw invalid("the shape is not a tuple of ints") }
    guard case .object(let dtypeIndex) = fields[1], case .dtype(let dtype) = objects[dtypeIndex]
    else {
      throw invalid("the dtype is \(fields[1].typeName), not a numpy.dtype")
    }
    let isFortran: Bool
    switch fields[2] {
    case .bool(let value): isFortran = value
    case .int(let value): isFortran = value != 0
    default: throw invalid("is_fortran is not a bool")
    }
    guard case .bytes(let data) = fields[3] else {
      throw invalid(
        "the data is \(fields[3].typeName), not bytes (object arrays are not supported)")
    }
    var expected = dtype.scalarType.byteCount
    for extent in shape {
      let (product, overflow) = expected.multipliedReportingOverflow(by: extent)
      guard !overflow else { throw invalid("the shape \(shape) overflows") }
      expected = product
    }
    guard expected == data.count else {
      throw invalid(
        "shape \(shape) of \(dtype.scalarType.rawValue) needs \(expected) bytes, the data has \(data.count)"
      )
    }
    return NumpyArray(dtype: dtype, shape: shape, isFortranOrder: isFortran, data: data)
  }
}
