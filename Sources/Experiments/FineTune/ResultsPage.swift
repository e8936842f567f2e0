import Foundation
import ImageCodecs
import Plotting

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One test image with its true label and the model's class probabilities: one card of a
/// `ResultsPage`.
public struct ResultsPageSample: Sendable {
  /// The image as loaded (HWC `UInt8`, gray, RGB or RGBA, any size); the page shows a thumbnail.
  public var image: Image
  /// The true class, an index into `ResultsPage.classNames`.
  public var label: Int
  /// Softmax probabilities, one per class, in class order.
  public var probabilities: [Float]
  /// What the card calls the image (a file name, "test #17"); nil shows only its index.
  public var name: String?

  /// A sample for the page.
  public init(image: Image, label: Int, probabilities: [Float], name: String? = nil) {
    self.image = image
    self.label = label
    self.probabilities = probabilities
    self.name = name
  }

  /// The predicted class: the first index of the largest probability (as `torch.argmax`).
  public var predicted: Int {
    var best = 0
    for (index, probability) in probabilities.enumerated()
    where probability > probabilities[best] {
      best = index
    }
    return best
  }
}

/// Why a results page cannot be made or written; the message names the sample or file and the
/// fix.
public struct ResultsPageError: Error, CustomStringConvertible, Equatable {
  /// The message.
  public let description: String
}

/// A self-contained HTML page of a classifier's test results: summary, configuration, notes,
/// training curves, per-class accuracy, confusion matrix, and every test image as a card with
/// its scores — filterable, sortable and paginated in the browser.
///
/// One file, no network: the curves are inline SVG, the thumbnails sprite-sheet PNGs embedded
/// as base64, the per-sample data one compact JSON array rendered a page at a time by a small
/// script, so 10,000 images open fast from `file://`.
public struct ResultsPage: Sendable {
  /// One configuration row shown at the top (option and value).
  public struct Setting: Sendable, Hashable {
    /// The option.
    public var name: String
    /// Its value, as text.
    public var value: String

    /// A row `name: value`.
    public init(_ name: String, _ value: String) {
      self.name = name
      self.value = value
    }
  }

  /// Page and heading title.
  public var title: String
  /// Class names, in label order; their count fixes how many probabilities a sample needs.
  public var classNames: [String]
  /// The test samples, in the order their index shows.
  public var samples: [ResultsPageSample]
  /// Per-epoch training metrics for the curves (none: no curves section).
  public var history: [HeadEpochMetrics]
  /// Configuration rows shown at the top.
  public var settings: [Setting]
  /// Caveats shown prominently under the title (e.g. random backbone weights).
  public var notes: [String]
  /// The kept epoch and the first unfrozen epoch, marked on the curves (nil: not marked).
  public var keptEpoch: Int?
  /// The first epoch that trained the backbone, when the run unfroze it.
  public var unfreezeEpoch: Int?
  /// Longest thumbnail side in pixels: larger images are shrunk (area averaging), smaller ones
  /// kept and enlarged on screen by whole factors. A 64-pixel photo thumbnail costs about 8 KB
  /// of page and a 32×32 CIFAR image about 2.5 KB, so lower it for 10,000 large images.
  public var thumbnailSide: Int = 64
  /// Cards per gallery page at first (the reader can change it), which keeps the DOM small.
  public var pageSize: Int = 200

  /// A page; `history`, `settings` and `notes` may be empty.
  public init(
    title: String, classNames: [String], samples: [ResultsPageSample],
    history: [HeadEpochMetrics] = [], settings: [Setting] = [], notes: [String] = []
  ) {
    self.title = title
    self.classNames = classNames
    self.samples = samples
    self.history = history
    self.settings = settings
    self.notes = notes
  }

  /// Checks what the page relies on: at least one class, one finite probability in 0…1 per
  /// class for every sample, labels in range, a positive thumbnail side and page size.
  /// - Throws: `ResultsPageError` naming the first offending sample or option.
  public func validate() throws {
    let classCount = classNames.count
    guard classCount > 0 else {
      throw ResultsPageError(
        description: "ResultsPage: classNames is empty; pass one name per class")
    }
    guard thumbnailSide > 0, pageSize > 0 else {
      throw ResultsPageError(
        description:
          "ResultsPage: thumbnailSide (\(thumbnailSide)) and pageSize (\(pageSize)) must be positive"
      )
    }
    for (index, sample) in samples.enumerated() {
      let which = "sample \(index)" + (sample.name.map { " (\($0))" } ?? "")
      guard sample.probabilities.count == classCount else {
        throw ResultsPageError(
          description:
            "ResultsPage: \(which) has \(sample.probabilities.count) probabilities but there are "
            + "\(classCount) classes in classNames; pass one softmax probability per class")
      }
      guard (0..<classCount).contains(sample.label) else {
        throw ResultsPageError(
          description:
            "ResultsPage: \(which) has label \(sample.label), outside 0..<\(classCount) "
            + "(classNames has \(classCount) entries)")
      }
      if let bad = sample.probabilities.firstIndex(where: { !($0 >= 0 && $0 <= 1.0001) }) {
        throw ResultsPageError(
          description:
            "ResultsPage: \(which) has probability \(sample.probabilities[bad]) for class \(bad); "
            + "expected softmax outputs in 0…1 (were logits passed? apply softmax first)")
      }
    }
  }

  /// The complete HTML document.
  /// - Throws: `ResultsPageError` for invalid input (see `validate()`) or a thumbnail sheet that
  ///   cannot be encoded.
  public func html() throws -> String {
    try validate()
    let predictions = samples.map(\.predicted)
    let labels = samples.map(\.label)
    let confusion = FineTuneMetrics.confusionMatrix(
      predictions: predictions, labels: labels, classCount: classNames.count)
    let atlas = ThumbnailAtlas(
      thumbnails: samples.map { Self.thumbnail(of: $0.image, maximumSide: thumbnailSide) })
    var page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    page += "<title>\(escapeMarkup(title))</title>\n<style>\n\(Self.stylesheet)</style>\n</head>\n"
    page += "<body>\n<header>\n<h1>\(escapeMarkup(title))</h1>\n"
    for note in notes { page += "<p class=\"note\">\(escapeMarkup(note))</p>\n" }
    page += "</header>\n"
    page += summarySection(predictions: predictions)
    page += curvesSection()
    page += perClassSection(confusion: confusion)
    page += confusionSection(confusion: confusion)
    page += Self.gallerySection
    page += "<script type=\"application/json\" id=\"rp-data\">"
    page += dataJSON(predictions: predictions, atlas: atlas)
    page += "</script>\n"
    for (index, png) in try Self.pngData(sheets: atlas.sheets).enumerated() {
      page += "<script type=\"text/plain\" id=\"rp-sheet-\(index)\">"
      page += png.base64EncodedString() + "</script>\n"
    }
    page += "<script>\n\(Self.script)</script>\n</body>\n</html>\n"
    return page
  }

  /// Writes `html()` to `url` atomically: a hidden temporary file in the same folder (created
  /// if missing), then renamed onto `url`, so a reader never sees half a page.
  /// - Throws: `ResultsPageError` for invalid input or naming the file that cannot be written.
  public func write(to url: URL) throws {
    let document = try html()
    let folder = url.deletingLastPathComponent()
    let temporary = folder.appendingPathComponent(
      ".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      try Data(document.utf8).write(to: temporary)
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw ResultsPageError(
        description:
          "\(url.path): cannot write the results page (the folder is not writable or the disk is full)"
      )
    }
    if rename(temporary.path, url.path) != 0 {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(at: temporary)
      throw ResultsPageError(
        description: "\(url.path): cannot replace the results page (renaming failed: \(reason))")
    }
  }
}

extension ResultsPage {
  /// Probabilities are stored as integers out of this (two decimals of a percent).
  static let probabilityScale = 10_000

  /// The largest class count whose cards show every class's score as a bar, and whose samples
  /// carry every probability; above it a sample carries its top `storedTopCount` scores.
  static let allScoresLimit = 10

  /// Scores kept per sample beyond `allScoresLimit` classes (the card shows three of them).
  static let storedTopCount = 5

  /// The per-sample data the script renders, as JSON safe inside `<script>`:
  /// `{"classes", "scale", "full", "display", "pageSize", "grid", "cell", "sheets", "samples"}`
  /// (`display`: the thumbnail box in CSS pixels; `sheets`: each sheet's size), each sample
  /// `[label, predicted, trueProbability, confidence, scores, name]` (+ `width, height` when
  /// thumbnail sizes differ) with probabilities as integers out of `scale`; `scores` is every
  /// probability in class order when `full`, else `[class, probability, …]` for the top ones.
  func dataJSON(predictions: [Int], atlas: ThumbnailAtlas) -> String {
    let scale = Float(Self.probabilityScale)
    func stored(_ probability: Float) -> String {
      String(min(Self.probabilityScale, max(0, Int((probability * scale).rounded()))))
    }
    let full = classNames.count <= Self.allScoresLimit
    let uniform = Set(atlas.sizes).count <= 1
    var out = "{\"classes\":[" + classNames.map(Self.jsonString).joined(separator: ",") + "]"
    out += ",\"scale\":\(Self.probabilityScale),\"full\":\(full)"
    out += ",\"display\":\(max(64, thumbnailSide)),\"pageSize\":\(pageSize)"
    out +=
      ",\"grid\":[\(atlas.columns),\(atlas.rows)],\"cell\":[\(atlas.cellWidth),\(atlas.cellHeight)]"
    out +=
      ",\"sheets\":[" + atlas.sheets.map { "[\($0.width),\($0.height)]" }.joined(separator: ",")
    out += "],\"samples\":[\n"
    for (index, sample) in samples.enumerated() {
      let probabilities = sample.probabilities
      let predicted = predictions[index]
      let scores: [String]
      if full {
        scores = probabilities.map(stored)
      } else {
        let top = probabilities.indices.sorted {
          probabilities[$0] != probabilities[$1] ? probabilities[$0] > probabilities[$1] : $0 < $1
        }.prefix(Self.storedTopCount)
        scores = top.flatMap { ["\($0)", stored(probabilities[$0])] }
      }
      var fields = [
        "\(sample.label)", "\(predicted)", stored(probabilities[sample.label]),
        stored(probabilities[predicted]), "[" + scores.joined(separator: ",") + "]",
        sample.name.map(Self.jsonString) ?? "null",
      ]
      if !uniform { fields += ["\(atlas.sizes[index].width)", "\(atlas.sizes[index].height)"] }
      out += (index == 0 ? "[" : ",\n[") + fields.joined(separator: ",") + "]"
    }
    out += "]}"
    return out
  }

  /// `text` as a JSON string literal that is also safe inside an HTML `<script>` element:
  /// `<`, `>` and `&` become `\u003c` etc., so no `</script>` or `<!--` can appear, and U+2028/
  /// U+2029 are escaped for older JavaScript parsers.
  static func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "<", ">", "&", "\u{2028}", "\u{2029}":
        out += String(format: "\\u%04x", scalar.value)
      default:
        if scalar.value < 0x20 {
          out += String(format: "\\u%04x", scalar.value)
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }

  /// `value` as a percentage with `decimals` decimals ("61.5 %").
  static func percent(_ value: Double, decimals: Int = 1) -> String {
    String(format: "%.\(decimals)f %%", 100 * value)
  }
}
