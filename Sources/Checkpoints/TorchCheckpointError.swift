/// A PyTorch checkpoint that cannot be read, naming the file, the defect and the fix.
public struct TorchCheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
  /// What is wrong.
  public enum Kind: Equatable, Sendable {
    /// The file could not be opened or read.
    case unreadable(reason: String)
    /// The file is the legacy (pre-1.6, non-zip) `torch.save` format.
    case legacyFormat
    /// The file is neither a zip archive nor a safetensors file.
    case unrecognizedFormat(firstBytes: [UInt8])
    /// The zip archive is damaged or truncated (no readable central directory).
    case unreadableArchive(reason: String)
    /// No `<prefix>/data.pkl` in the archive.
    case missingDataPickle(entries: [String])
    /// The archive says its storages are big-endian.
    case unsupportedByteOrder(String)
    /// `data.pkl` is not a pickle this reader accepts.
    case pickle(PickleError)
    /// An archive entry cannot be extracted (corrupt data, checksum mismatch, too large).
    case corruptEntry(path: String, reason: String)
    /// A tensor's storage `<prefix>/data/<key>` is absent.
    case missingStorage(tensor: String, path: String)
    /// A storage holds fewer bytes than its element count needs, or a tensor's size, stride and
    /// offset reach past the end of its storage.
    case storageTooShort(tensor: String, neededElements: Int, availableElements: Int)
    /// A tensor view with more elements than the file can legitimately describe.
    case tensorTooLarge(tensor: String, shape: [Int])
    /// The pickle is not a state dict (string keys → tensors), nor a dict wrapping one under
    /// `state_dict` or `model`.
    case notAStateDict(found: String)
    /// A state-dict entry that is not a tensor.
    case notATensor(key: String, found: String)
  }

  /// The file concerned.
  public let file: String
  /// The defect.
  public let kind: Kind

  /// Creates an error for `file`.
  public init(file: String, kind: Kind) {
    self.file = file
    self.kind = kind
  }

  /// `file: defect fix`.
  public var description: String { "\(file): \(defect)" }

  private var defect: String {
    let resave =
      "Re-save it with a current torch: `torch.save(torch.load(path), path)` (or export "
      + "safetensors with `safetensors.torch.save_file(model.state_dict(), path)`)."
    switch kind {
    case .unreadable(let reason):
      return "cannot read the file (\(reason)). Check the path and its permissions."
    case .legacyFormat:
      return "this is the legacy non-zip torch.save format (torch < 1.6 or "
        + "`_use_new_zipfile_serialization=False`), which is not supported. \(resave)"
    case .unrecognizedFormat(let first):
      let hex = first.map { String($0, radix: 16) }.joined(separator: " ")
      return "not a checkpoint: neither a torch.save zip archive (starts with `PK\\x03\\x04`) "
        + "nor a safetensors file (first bytes: \(hex)). Check that the download is complete."
    case .unreadableArchive(let reason):
      return "the zip archive is damaged or truncated (\(reason)). Download or save it again."
    case .missingDataPickle(let entries):
      let shown = entries.prefix(8).joined(separator: ", ")
      return "the zip archive has no `<name>/data.pkl`, so it was not written by torch.save "
        + "(entries: \(shown)\(entries.count > 8 ? ", …" : ""))."
    case .unsupportedByteOrder(let order):
      return "the storages are \(order)-endian; only little-endian checkpoints are supported. "
        + resave
    case .pickle(let error):
      return "data.pkl: \(error)"
    case .corruptEntry(let path, let reason):
      return "archive entry `\(path)` cannot be read (\(reason)). The file is damaged; "
        + "download or save it again."
    case .missingStorage(let tensor, let path):
      return "tensor '\(tensor)' needs archive entry `\(path)`, which is missing. The file is "
        + "damaged or was assembled by hand; save it again with torch.save."
    case .storageTooShort(let tensor, let needed, let available):
      return "tensor '\(tensor)' needs \(needed) storage elements (from its size, stride and "
        + "offset) but its storage holds \(available). The file is damaged; save it again."
    case .tensorTooLarge(let tensor, let shape):
      return "tensor '\(tensor)' has shape \(shape), more elements than a file of this size can "
        + "describe. The file is damaged or malicious."
    case .notAStateDict(let found):
      return "the checkpoint holds \(found), not a state dict (a dict of tensors, possibly under "
        + "'state_dict' or 'model'). Save `model.state_dict()`."
    case .notATensor(let key, let found):
      return "state-dict entry '\(key)' is \(found), not a tensor. Save `model.state_dict()`, "
        + "whose values are all tensors."
    }
  }
}
