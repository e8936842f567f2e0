import TensorCore

extension Vision {
  /// The output size of torchvision's `Resize(size)` with an integer `size`: the shorter side
  /// becomes `shorterSide` and the longer one `int(shorterSide * long / short)` (truncated, as
  /// `torchvision.transforms.functional._compute_resized_output_size` computes it).
  public static func resizedSize(height: Int, width: Int, shorterSide: Int) -> (
    height: Int, width: Int
  ) {
    precondition(height > 0 && width > 0 && shorterSide > 0, "resizedSize: sizes must be positive")
    let (short, long) = width <= height ? (width, height) : (height, width)
    // Python's `int / int` is the correctly rounded quotient; so is Double's for these sizes.
    let newLong = Int(Double(shorterSide * long) / Double(short))
    return width <= height ? (newLong, shorterSide) : (shorterSide, newLong)
  }

  /// Resizes so that the shorter side is `shorterSide`, keeping the aspect ratio.
  ///
  /// Equivalent to `torchvision.transforms.functional.resize(x, shorterSide, antialias=True)`
  /// on a float tensor (`transforms.Resize(shorterSide, antialias=True)`); see
  /// `resize(_:height:width:)` for the filter.
  ///
  /// - Parameter image: `[…, H, W]` (e.g. `[C, H, W]` from `toTensor`).
  /// - Returns: `[…, H', W']` with `min(H', W') == shorterSide`.
  public static func resize(_ image: Tensor, shorterSide: Int) -> Tensor {
    precondition(image.rank >= 2, "resize: expected […, H, W], got \(image.shape)")
    let size = resizedSize(
      height: image.shape[image.rank - 2], width: image.shape[image.rank - 1],
      shorterSide: shorterSide)
    return resize(image, height: size.height, width: size.width)
  }

  /// Bilinear resize with antialiasing, matching
  /// `torchvision.transforms.functional.resize(x, [height, width], antialias=True)` on a
  /// float32 tensor, i.e. PyTorch's `_upsample_bilinear2d_aa` (`align_corners=False`).
  ///
  /// Separable: rows first (width), then columns (height), each output sample a normalized
  /// weighted sum of inputs. For an axis of `n` inputs and `m` outputs, `scale = n / m`; output
  /// `i` is centred at `c = scale · (i + ½)` and uses a triangle (tent) filter whose support is
  /// stretched by `scale` when downscaling (`support = scale`, weights
  /// `w_j = max(0, 1 − |j + ½ − c| / scale)`), so every input pixel under the output pixel
  /// contributes — this is the antialiasing; when upscaling `support = 1` and it reduces to plain
  /// bilinear interpolation. Inputs `j` run over `[⌊c − support + ½⌋, ⌊c + support + ½⌋)`
  /// clipped to the image, and the weights are divided by their sum. Arithmetic is Float32 with
  /// PyTorch's promotions (the weights are bit-identical to torch's) and the sums are
  /// accumulated in tap order with fused multiply-adds, as PyTorch's AVX2 kernel compiles
  /// `output += t * w`: with torch 1.13 this reproduces Resize(256) of the ImageNet pipeline and
  /// upscaling bit for bit; strong downscaling differs by at most one float ulp (≈1e-7).
  ///
  /// This is the *tensor* path. torchvision's classic pipeline resizes a PIL image instead
  /// (same filter, but the result is rounded to uint8), which differs by up to one uint8 step
  /// (1/255); we define preprocessing on float tensors so it needs no intermediate rounding.
  /// Returns `image` unchanged when the size already matches (as torchvision does).
  ///
  /// - Parameter image: `[…, H, W]`; leading axes (channels, batch) are resized independently.
  /// - Returns: `[…, height, width]`.
  public static func resize(_ image: Tensor, height: Int, width: Int) -> Tensor {
    precondition(image.rank >= 2, "resize: expected […, H, W], got \(image.shape)")
    precondition(height > 0 && width > 0, "resize: size \(height)x\(width) must be positive")
    let inputHeight = image.shape[image.rank - 2]
    let inputWidth = image.shape[image.rank - 1]
    precondition(inputHeight > 0 && inputWidth > 0, "resize: empty image \(image.shape)")
    if inputHeight == height && inputWidth == width { return image }
    let planes = image.count / (inputHeight * inputWidth)
    let columns = AntialiasedLinearWeights(inputSize: inputWidth, outputSize: width)
    let rows = AntialiasedLinearWeights(inputSize: inputHeight, outputSize: height)
    let source = image.scalars

    // Horizontal pass: [planes, H, W] → [planes, H, width].
    var horizontal = [Float](repeating: 0, count: planes * inputHeight * width)
    for row in 0..<(planes * inputHeight) {
      let input = row * inputWidth
      let output = row * width
      for x in 0..<width {
        let start = columns.starts[x]
        let weights = x * columns.maximumCount
        var sum = source[input + start] * columns.weights[weights]
        for j in 1..<columns.counts[x] {
          sum = sum.addingProduct(source[input + start + j], columns.weights[weights + j])
        }
        horizontal[output + x] = sum
      }
    }

    // Vertical pass: [planes, H, width] → [planes, height, width].
    var result = [Float](repeating: 0, count: planes * height * width)
    for plane in 0..<planes {
      let input = plane * inputHeight * width
      let output = plane * height * width
      for y in 0..<height {
        let start = rows.starts[y]
        let weights = y * rows.maximumCount
        let first = rows.weights[weights]
        let target = output + y * width
        let sourceRow = input + start * width
        for x in 0..<width { result[target + x] = horizontal[sourceRow + x] * first }
        for j in 1..<rows.counts[y] {
          let weight = rows.weights[weights + j]
          let sourceRow = input + (start + j) * width
          for x in 0..<width {
            result[target + x] = result[target + x].addingProduct(horizontal[sourceRow + x], weight)
          }
        }
      }
    }
    var shape = image.shape
    shape[shape.count - 2] = height
    shape[shape.count - 1] = width
    return Tensor(shape: shape, scalars: result)
  }
}

/// Per-output-index input ranges and normalized triangle-filter weights along one axis, computed
/// as PyTorch's `HelperInterpLinear::compute_indices_weights_aa` / `_compute_weights_aa` does for
/// float32 (its float/double promotions reproduced, so the weights match bit for bit).
struct AntialiasedLinearWeights {
  /// First input index used by each output index.
  var starts: [Int]
  /// Number of inputs used by each output index (≥ 1).
  var counts: [Int]
  /// `outputSize × maximumCount` weights; row `i` holds `counts[i]` normalized weights.
  var weights: [Float]
  /// Row length of `weights`.
  var maximumCount: Int

  init(inputSize: Int, outputSize: Int) {
    // scale = (float)input_size / output_size; support = (interp_size * 0.5) * scale (double,
    // stored as float) when downscaling, else 1; invscale = 1.0 / scale (double → float).
    let scale = Float(inputSize) / Float(outputSize)
    let support: Float = scale >= 1 ? Float(1.0 * Double(scale)) : 1
    let inverseScale: Float = scale >= 1 ? Float(1.0 / Double(scale)) : 1
    maximumCount = Int(support.rounded(.up)) * 2 + 1
    starts = [Int](repeating: 0, count: outputSize)
    counts = [Int](repeating: 0, count: outputSize)
    weights = [Float](repeating: 0, count: outputSize * maximumCount)
    for i in 0..<outputSize {
      let center = Float(Double(scale) * (Double(i) + 0.5))
      // static_cast<int64_t>(center ∓ support + 0.5): float sum, then double, truncation.
      let start = Swift.max(Int(Double(center - support) + 0.5), 0)
      let end = Swift.min(Int(Double(center + support) + 0.5), inputSize)
      let count = Swift.min(Swift.max(end - start, 1), maximumCount)
      var total: Float = 0
      for j in 0..<count {
        // filter((j + xmin - center + 0.5) * invscale): int → float subtraction, then double.
        let distance = Float((Double(Float(j + start) - center) + 0.5) * Double(inverseScale))
        let magnitude = Swift.abs(distance)
        let weight: Float = magnitude < 1 ? Float(1.0 - Double(magnitude)) : 0
        weights[i * maximumCount + j] = weight
        total += weight
      }
      if total != 0 {
        for j in 0..<count { weights[i * maximumCount + j] /= total }
      }
      starts[i] = Swift.min(start, inputSize - 1)
      counts[i] = Swift.min(count, inputSize - starts[i])
    }
  }
}
