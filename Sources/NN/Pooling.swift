import TensorCore

/// Max pooling over square windows, equivalent to `nn.MaxPool2d(kernel_size, stride, padding)`
/// (`dilation=1`, `ceil_mode=False`); `stride` defaults to the kernel size, as in PyTorch.
/// Padding acts as −∞. `[N, H, W, C] → [N, (H + 2p − k)/s + 1, …, C]` (NHWC, the layout of the
/// spatial layers). ResNet's stem uses (3, 2, 1).
public final class MaxPool2d: Layer {
  /// Window side.
  public let kernelSize: Int
  /// Step between windows.
  public let stride: Int
  /// Implicit −∞ padding (at most half the kernel).
  public let padding: Int
  /// Unused by this layer; kept for the protocol.
  public var isTraining = true

  /// A max-pooling layer.
  public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.padding = padding
  }

  /// Pools every channel of `x: [N, H, W, C]`.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    input.maxPooled2d(kernelSize: kernelSize, stride: stride, padding: padding)
  }
}

/// Average pooling over square windows, equivalent to `nn.AvgPool2d(kernel_size, stride,
/// padding)` with PyTorch's defaults `ceil_mode=False`, `count_include_pad=True`.
public final class AvgPool2d: Layer {
  /// Window side.
  public let kernelSize: Int
  /// Step between windows.
  public let stride: Int
  /// Implicit zero padding (at most half the kernel).
  public let padding: Int
  /// Whether padding zeros count in the divisor.
  public let countIncludingPadding: Bool
  /// Unused by this layer; kept for the protocol.
  public var isTraining = true

  /// An average-pooling layer.
  public init(
    kernelSize: Int, stride: Int? = nil, padding: Int = 0, countIncludingPadding: Bool = true
  ) {
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.padding = padding
    self.countIncludingPadding = countIncludingPadding
  }

  /// Pools every channel of `x: [N, H, W, C]`.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    input.averagePooled2d(
      kernelSize: kernelSize, stride: stride, padding: padding,
      countIncludingPadding: countIncludingPadding)
  }
}

/// Adaptive average pooling to a fixed output size, equivalent to
/// `nn.AdaptiveAvgPool2d((outputHeight, outputWidth))`: cell `(i, j)` averages rows
/// `floor(i·H/Ho) ..< ceil((i+1)·H/Ho)` and likewise columns. ResNet uses `(1, 1)`.
public final class AdaptiveAvgPool2d: Layer {
  /// Ho.
  public let outputHeight: Int
  /// Wo.
  public let outputWidth: Int
  /// Unused by this layer; kept for the protocol.
  public var isTraining = true

  /// Pools to `outputHeight × outputWidth`.
  public init(outputHeight: Int, outputWidth: Int) {
    self.outputHeight = outputHeight
    self.outputWidth = outputWidth
  }

  /// Pools to `outputSize × outputSize` (`(1, 1)` by default: a global average).
  public convenience init(outputSize: Int = 1) {
    self.init(outputHeight: outputSize, outputWidth: outputSize)
  }

  /// Pools `x: [N, H, W, C]` to `[N, Ho, Wo, C]`.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    input.adaptiveAveragePooled2d(outputHeight: outputHeight, outputWidth: outputWidth)
  }
}
