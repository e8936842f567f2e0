/// The sizes of one 2-D convolution over NHWC arrays, the one activation layout of the kernels
/// (`[N, H, W, C]`: a pixel's channels are contiguous, so a convolution reads its input where it
/// lies and the whole batch is one matrix `[N·H·W, C]`).
///
/// Shapes: input `[batch, inputHeight, inputWidth, inputChannels]`, weight PyTorch's
/// `[outputChannels, inputChannels, kernelHeight, kernelWidth]`, output
/// `[batch, outputHeight, outputWidth, outputChannels]` with
/// `outputHeight = (inputHeight + 2·paddingHeight − dilationHeight·(kernelHeight − 1) − 1) / strideHeight + 1`.
public struct ConvolutionGeometry: Sendable, Equatable {
  /// N.
  public var batch: Int
  /// C.
  public var inputChannels: Int
  /// H.
  public var inputHeight: Int
  /// W.
  public var inputWidth: Int
  /// C_out.
  public var outputChannels: Int
  /// kH.
  public var kernelHeight: Int
  /// kW.
  public var kernelWidth: Int
  /// Vertical stride.
  public var strideHeight: Int
  /// Horizontal stride.
  public var strideWidth: Int
  /// Zero rows added above and below.
  public var paddingHeight: Int
  /// Zero columns added left and right.
  public var paddingWidth: Int
  /// Vertical spacing between kernel taps.
  public var dilationHeight: Int
  /// Horizontal spacing between kernel taps.
  public var dilationWidth: Int

  /// A geometry; stride, padding and dilation apply to both axes.
  public init(
    batch: Int, inputChannels: Int, inputHeight: Int, inputWidth: Int,
    outputChannels: Int, kernelHeight: Int, kernelWidth: Int,
    stride: Int = 1, padding: Int = 0, dilation: Int = 1
  ) {
    self.batch = batch
    self.inputChannels = inputChannels
    self.inputHeight = inputHeight
    self.inputWidth = inputWidth
    self.outputChannels = outputChannels
    self.kernelHeight = kernelHeight
    self.kernelWidth = kernelWidth
    self.strideHeight = stride
    self.strideWidth = stride
    self.paddingHeight = padding
    self.paddingWidth = padding
    self.dilationHeight = dilation
    self.dilationWidth = dilation
  }

  /// Ho.
  public var outputHeight: Int {
    (inputHeight + 2 * paddingHeight - dilationHeight * (kernelHeight - 1) - 1) / strideHeight + 1
  }
  /// Wo.
  public var outputWidth: Int {
    (inputWidth + 2 * paddingWidth - dilationWidth * (kernelWidth - 1) - 1) / strideWidth + 1
  }
  /// Whether the sizes describe a computable convolution (positive sizes, output at least 1×1).
  public var isValid: Bool {
    batch >= 0 && inputChannels > 0 && outputChannels > 0 && kernelHeight > 0 && kernelWidth > 0
      && strideHeight > 0 && strideWidth > 0 && paddingHeight >= 0 && paddingWidth >= 0
      && dilationHeight > 0 && dilationWidth > 0
      && inputHeight + 2 * paddingHeight >= dilationHeight * (kernelHeight - 1) + 1
      && inputWidth + 2 * paddingWidth >= dilationWidth * (kernelWidth - 1) + 1
  }
  /// Elements of the input.
  public var inputCount: Int { batch * inputChannels * inputHeight * inputWidth }
  /// Elements of the output.
  public var outputCount: Int { batch * outputChannels * outputHeight * outputWidth }
  /// Elements of the weight.
  public var weightCount: Int { outputChannels * patchSize }
  /// Columns of the im2col matrix: `kH · kW · C`.
  var patchSize: Int { inputChannels * kernelHeight * kernelWidth }
  /// A 1×1, stride-1, unpadded convolution: the input already is the im2col matrix.
  var isPointwise: Bool {
    kernelHeight == 1 && kernelWidth == 1 && strideHeight == 1 && strideWidth == 1
      && paddingHeight == 0 && paddingWidth == 0
  }
}
