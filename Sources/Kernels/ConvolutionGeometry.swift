/// The sizes of one 2-D convolution over NCHW arrays (PyTorch's layout).
///
/// Shapes: input `[batch, inputChannels, inputHeight, inputWidth]`, weight
/// `[outputChannels, inputChannels / groups, kernelHeight, kernelWidth]`, output
/// `[batch, outputChannels, outputHeight, outputWidth]` with
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
  /// Channel groups: input and output channels split into this many independent convolutions.
  public var groups: Int

  /// A geometry; stride, padding and dilation apply to both axes.
  public init(
    batch: Int, inputChannels: Int, inputHeight: Int, inputWidth: Int,
    outputChannels: Int, kernelHeight: Int, kernelWidth: Int,
    stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1
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
    self.groups = groups
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
      && dilationHeight > 0 && dilationWidth > 0 && groups > 0
      && inputChannels % groups == 0 && outputChannels % groups == 0
      && inputHeight + 2 * paddingHeight >= dilationHeight * (kernelHeight - 1) + 1
      && inputWidth + 2 * paddingWidth >= dilationWidth * (kernelWidth - 1) + 1
  }
  /// Elements of the input.
  public var inputCount: Int { batch * inputChannels * inputHeight * inputWidth }
  /// Elements of the output.
  public var outputCount: Int { batch * outputChannels * outputHeight * outputWidth }
  /// Elements of the weight.
  public var weightCount: Int { outputChannels * groupPatchSize }
  /// Input channels per group.
  var groupInputChannels: Int { inputChannels / groups }
  /// Output channels per group.
  var groupOutputChannels: Int { outputChannels / groups }
  /// Rows of one group's im2col matrix: `C/groups · kH · kW`.
  var groupPatchSize: Int { groupInputChannels * kernelHeight * kernelWidth }
  /// A 1×1, stride-1, unpadded convolution: the input already is the im2col matrix.
  var isPointwise: Bool {
    kernelHeight == 1 && kernelWidth == 1 && strideHeight == 1 && strideWidth == 1
      && paddingHeight == 0 && paddingWidth == 0
  }
}

/// Where the plane of (image, channel) starts in an activation array, counted in planes: PyTorch's
/// batch-major NCHW, or channel-major CNHW (`[C, N, H, W]`), where a 1×1 convolution over the
/// whole batch is one GEMM and a GEMM's output already is the next layer's input.
struct PlaneLayout: Sendable, Equatable {
  /// Planes between image n and image n + 1.
  let image: Int
  /// Planes between channel c and channel c + 1.
  let channel: Int

  /// NCHW with `channels` channels.
  static func batchMajor(channels: Int) -> PlaneLayout { PlaneLayout(image: channels, channel: 1) }

  /// CNHW with `batch` images.
  static func channelMajor(batch: Int) -> PlaneLayout { PlaneLayout(image: 1, channel: batch) }

  /// The plane index of (image, channel).
  @inline(__always) func plane(image: Int, channel: Int) -> Int {
    image * self.image + channel * self.channel
  }
}
