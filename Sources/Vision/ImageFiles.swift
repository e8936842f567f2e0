import FileSafety
import Foundation

/// The image files a command is given: files as they are, folders replaced by the PNG and JPEG
/// files inside them, and the CSV of predictions it writes.
public enum ImageFiles {
  /// Why a list of images could not be made or written, naming the path and the fix.
  public struct Problem: Error, CustomStringConvertible, Equatable {
    /// The message for the user.
    public let description: String
  }

  /// The extensions taken from folders (compared without case).
  public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

  /// Every path that is a folder replaced by the .png/.jpg/.jpeg files inside it (recursively,
  /// sorted by path; other files skipped); other paths kept as given, in order.
  ///
  /// - Throws: `Problem` for a folder that holds no image.
  public static func expand(_ paths: [String]) throws -> [String] {
    try paths.flatMap { path -> [String] in
      var isFolder: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder),
        isFolder.boolValue
      else { return [path] }
      let root = URL(fileURLWithPath: path)
      let found =
        (FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?
        .compactMap { $0 as? URL } ?? [])
        .filter { extensions.contains($0.pathExtension.lowercased()) }
        .map(\.path).sorted()
      guard !found.isEmpty else {
        throw Problem(
          description:
            "\(path) holds no .png, .jpg or .jpeg image; give image files or a folder of them")
      }
      return found
    }
  }

  /// `path,class,probability`, one line per image (its most probable class), RFC 4180 quoting.
  public static func csv(_ predictions: [ImageClassifier.Prediction]) -> String {
    func quoted(_ field: String) -> String {
      field.contains(where: { ",\"\n\r".contains($0) })
        ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
    }
    return "path,class,probability\n"
      + predictions.map { prediction in
        let best = prediction.top.first
        return [
          quoted(prediction.path), quoted(best?.name ?? ""), best.map { "\($0.probability)" } ?? "",
        ]
        .joined(separator: ",")
      }.joined(separator: "\n") + "\n"
  }

  /// Writes `csv(predictions)` to the new file `url`, atomically, never over an existing file
  /// (not even one that appears while it writes).
  ///
  /// - Throws: `Problem` naming the file and the fix.
  public static func writeCSV(_ predictions: [ImageClassifier.Prediction], to url: URL) throws {
    do {
      try AtomicFile.create(at: url) { temporary in
        try Data(csv(predictions).utf8).write(to: temporary)
      }
    } catch AtomicCreateFailure.exists {
      throw Problem(
        description: "\(url.path) exists; predict writes only a new file: choose another name")
    } catch let failure as AtomicWriteFailure {
      throw Problem(description: "cannot write \(url.path) (\(failure)): choose an existing folder")
    } catch AtomicCreateFailure.linkFailed(let reason) {
      throw Problem(
        description: "cannot write \(url.path) (\(reason)): check the folder is writable")
    } catch {
      throw Problem(
        description: "cannot write \(url.path): check the folder is writable and has space")
    }
  }
}
