import ImageCodecs

/// What `DataLoader` reads: a finite, indexable set of labelled 8-bit images.
///
/// The same three requirements as `LabeledImageDataset`, so a dataset adopts it with one line
/// (`extension InMemoryImageDataset: ImageSource {}`); kept separate so the loader depends only
/// on what it uses (no class names) and tests can supply tiny synthetic sources.
///
/// `image(at:)` and `label(at:)` are called concurrently from the loader's worker threads, hence
/// `Sendable`: implementations must be safe to read from several threads (immutable storage, or
/// file reads that share no mutable state).
public protocol ImageSource: Sendable {
  /// Number of samples; indices run over `0..<count`.
  var count: Int { get }
  /// Sample `index`'s image, HWC `UInt8` (decoded here if the source is file-backed).
  func image(at index: Int) throws -> Image
  /// Sample `index`'s class index.
  func label(at index: Int) -> Int
}
