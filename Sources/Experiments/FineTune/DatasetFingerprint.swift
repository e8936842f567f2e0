import Crypto
import Foundation
import Vision

/// A fingerprint of what a dataset holds, so that a feature cache computed from it is reused
/// only while the data is unchanged: for images held in memory (CIFAR, MNIST, STL-10) a SHA-256
/// of the decoded pixels, labels and class names; for image folders and CSVs a SHA-256 of every
/// file's path, size, modification time and label (reading no image); for any other dataset a
/// SHA-256 of every decoded image.
public enum DatasetFingerprint {
  /// `sha256:<hex>` of `dataset`'s content.
  ///
  /// - Throws: the dataset's own errors (an image that cannot be decoded, naming the file).
  public static func of(_ dataset: any LabeledImageDataset) throws -> String {
    var hasher = SHA256()
    func add(_ text: String) { hasher.update(data: Data((text + "\u{1F}").utf8)) }
    add("classes:" + dataset.classNames.joined(separator: "\u{1E}"))
    add("count:\(dataset.count)")
    if let memory = dataset as? InMemoryImageDataset {
      add("memory:\(memory.width)x\(memory.height)x\(memory.channels)")
      hasher.update(data: memory.pixels)
      add(memory.labels.map(String.init).joined(separator: ","))
    } else if let folder = dataset as? ImageFolderDataset {
      let manager = FileManager.default
      for (file, label) in zip(folder.files, folder.labels) {
        let attributes = (try? manager.attributesOfItem(atPath: file.path)) ?? [:]
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
        add("\(file.path)|\(size)|\(modified)|\(label)")
      }
    } else {
      for index in 0..<dataset.count {
        let image = try dataset.image(at: index)
        add("image:\(image.width)x\(image.height)x\(image.channels):\(dataset.label(at: index))")
        hasher.update(data: image.pixels)
      }
    }
    return "sha256:" + hasher.finalize().map { String(format: "%02x", $0) }.joined()
  }
}
