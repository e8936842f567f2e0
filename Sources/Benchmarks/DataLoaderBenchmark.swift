import Foundation
import ImageCodecs
import TensorCore
import Vision

/// A CIFAR-10-sized source held in memory: `count` 32×32 RGB images, NHWC `UInt8`, filled with
/// a fixed pseudo-random pattern (the loader's cost does not depend on the content).
private struct SyntheticCIFARSource: ImageSource {
  static let side = 32
  let count: Int
  let pixels: [UInt8]

  init(count: Int) {
    self.count = count
    var generator = SeededGenerator(seed: 10)
    let size = count * Self.side * Self.side * 3
    var pixels = [UInt8](repeating: 0, count: size)
    var index = 0
    while index < size {
      var bits = generator.next()
      for _ in 0..<8 where index < size {
        pixels[index] = UInt8(truncatingIfNeeded: bits)
        bits >>= 8
        index += 1
      }
    }
    self.pixels = pixels
  }

  func image(at index: Int) throws -> Image {
    let size = Self.side * Self.side * 3
    return Image(
      width: Self.side, height: Self.side, channels: 3,
      pixels: Array(pixels[(index * size)..<((index + 1) * size)]))
  }

  func label(at index: Int) -> Int { index % 10 }
}

/// Batches per second the loader delivers for CIFAR-10 training (50,000 × 32×32, batch 64,
/// `crop:32:pad4,flip`) on 1 and 2 worker threads, against the ≈ 5.7 batches/s (366 images/s)
/// a frozen-backbone training step consumes.
func runDataLoaderBenchmark() -> String {
  let needed = 366.0 / 64
  var lines = [
    "## DataLoader (CIFAR-10 sized: 50,000 × 32×32 RGB in memory, batch 64, crop:32:pad4,flip)"
  ]
  let source = SyntheticCIFARSource(count: 50_000)
  let specs = ["crop:32:pad4,flip", "crop:32:pad4,flip,jitter:0.4:0.4:0.4,blur:3:0.1-2.0"]
  for spec in specs {
    for workers in [1, 2] {
      do {
        let loader = try DataLoader(
          source: source, batchSize: 64, shuffle: true, dropLast: true, seed: 1,
          transform: try TransformPipeline.parse(spec), workerCount: workers)
        // A warm-up slice of epoch 0, then all of epoch 1 (781 batches, 49,984 images) timed.
        let warmup = loader.epoch(0)
        for _ in 0..<10 { _ = try warmup.next() }
        warmup.cancel()
        let timed = loader.batchCount
        let batches = loader.epoch(1)
        let start = DispatchTime.now().uptimeNanoseconds
        var delivered = 0
        while delivered < timed, try batches.next() != nil { delivered += 1 }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        batches.cancel()
        let rate = Double(delivered) / seconds
        lines.append(
          String(
            format:
              "%@, %d worker%@: %.1f batches/s (%.0f images/s), ×%.1f the %.1f batches/s training needs",
            spec, workers, workers == 1 ? "" : "s", rate, rate * 64, rate / needed, needed))
      } catch {
        lines.append("\(spec), \(workers) workers: failed: \(error)")
      }
    }
  }
  return lines.joined(separator: "\n")
}
