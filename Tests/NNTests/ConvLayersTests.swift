import Checkpoints
import Foundation
import TestSupport
import Testing

@testable import NN
@testable import TensorCore

/// The tensors written by `scripts/fixtures/make_conv_fixtures.py`.
func convReference() throws -> SafetensorsFile {
  let url = try #require(Bundle.module.resourceURL)
    .appendingPathComponent("Fixtures").appendingPathComponent("conv_reference.safetensors")
  return try SafetensorsFile.read(from: url)
}

/// Expects `actual` to equal the fixture tensor `name` in shape and, within 1e-4 relative
/// (1e-5 absolute), in value.
func expectMatches(
  _ actual: Tensor?, _ name: String, in file: SafetensorsFile,
  sourceLocation: SourceLocation = #_sourceLocation
) throws {
  let expected = try file.tensor(named: name)
  let actual = try #require(actual, "\(name): missing", sourceLocation: sourceLocation)
  #expect(actual.shape == expected.shape, "\(name): shape", sourceLocation: sourceLocation)
  expectClose(
    actual.scalars, expected.scalars, absolute: 1e-5, relative: 1e-4, "\(name)",
    sourceLocation: sourceLocation)
}

/// PyTorch's NCHW → the layers' NHWC.
func nhwc(_ tensor: Tensor) -> Tensor { tensor.permuted([0, 2, 3, 1]) }

/// The layers' NHWC → PyTorch's NCHW.
func nchw(_ tensor: Tensor) -> Tensor { tensor.permuted([0, 3, 1, 2]) }

@Suite("ConvLayers: Conv2d, BatchNorm2d and pooling against PyTorch")
struct ConvLayersTests {
  @Test(
    "Conv2d forward and backward equal nn.Conv2d",
    arguments: [("conv3x3", 1, 1), ("conv7x7", 2, 3), ("conv1x1", 2, 0)])
  func convolution(name: String, stride: Int, padding: Int) throws {
    // make_conv_fixtures.py:
    //   conv_case("conv3x3", (2, 3, 6, 5), nn.Conv2d(3, 4, 3, stride=1, padding=1))
    //   conv_case("conv7x7", (2, 3, 11, 10), nn.Conv2d(3, 5, 7, stride=2, padding=3, bias=False))
    //   conv_case("conv1x1", (2, 6, 7, 7), nn.Conv2d(6, 8, 1, stride=2))
    //   where conv_case: y = conv(x); y.backward(g) with g = randn_like(y)
    let file = try convReference()
    let hasBias = file.names.contains("\(name).bias")
    let conv = Conv2d(
      weight: try file.tensor(named: "\(name).weight"),
      bias: hasBias ? try file.tensor(named: "\(name).bias") : nil, stride: stride,
      padding: padding)
    // The fixtures are NCHW; the layer runs NHWC.
    let x = nhwc(try file.tensor(named: "\(name).x")).requiringGradient()
    let y = conv(x)
    try expectMatches(nchw(y), "\(name).y", in: file)
    y.backward(seed: nhwc(try file.tensor(named: "\(name).g")))
    try expectMatches(x.gradient.map(nchw), "\(name).grad_x", in: file)
    try expectMatches(conv.weight.gradient, "\(name).grad_weight", in: file)
    if let bias = conv.bias { try expectMatches(bias.gradient, "\(name).grad_bias", in: file) }
  }

  @Test("BatchNorm2d training step equals nn.BatchNorm2d: output, gradients, running statistics")
  func batchNormTraining() throws {
    // make_conv_fixtures.py:
    //   bn = nn.BatchNorm2d(4); bn.weight, bn.bias = randn(4), randn(4)
    //   x = randn(3, 4, 5, 5) * 2 + 1; bn.train(); y = bn(x); y.backward(g)
    //   running_mean, running_var, num_batches_tracked read after that one step
    let file = try convReference()
    let bn = BatchNorm2d(featureCount: 4)
    bn.weight.assign(try file.tensor(named: "bn_train.weight").scalars)
    bn.bias.assign(try file.tensor(named: "bn_train.bias").scalars)
    let x = nhwc(try file.tensor(named: "bn_train.x")).requiringGradient()
    let y = bn(x)
    try expectMatches(nchw(y), "bn_train.y", in: file)
    y.backward(seed: nhwc(try file.tensor(named: "bn_train.g")))
    try expectMatches(x.gradient.map(nchw), "bn_train.grad_x", in: file)
    try expectMatches(bn.weight.gradient, "bn_train.grad_weight", in: file)
    try expectMatches(bn.bias.gradient, "bn_train.grad_bias", in: file)
    // running_var uses the unbiased batch variance: 0.9·1 + 0.1·var·75/74.
    try expectMatches(bn.runningMean.value, "bn_train.running_mean", in: file)
    try expectMatches(bn.runningVariance.value, "bn_train.running_var", in: file)
    try expectMatches(bn.numBatchesTracked.value, "bn_train.num_batches_tracked", in: file)
  }

  @Test("BatchNorm2d evaluation equals nn.BatchNorm2d.eval(), and leaves the statistics alone")
  func batchNormEvaluation() throws {
    // make_conv_fixtures.py:
    //   bn = nn.BatchNorm2d(4); weight, bias, running_mean = randn(4)×3; running_var = rand(4) + 0.5
    //   bn.eval(); x = randn(2, 4, 3, 3); y = bn(x); y.backward(g)
    let file = try convReference()
    let bn = BatchNorm2d(featureCount: 4)
    bn.weight.assign(try file.tensor(named: "bn_eval.weight").scalars)
    bn.bias.assign(try file.tensor(named: "bn_eval.bias").scalars)
    bn.runningMean.value = try file.tensor(named: "bn_eval.running_mean")
    bn.runningVariance.value = try file.tensor(named: "bn_eval.running_var")
    bn.eval()
    let x = nhwc(try file.tensor(named: "bn_eval.x")).requiringGradient()
    let y = bn(x)
    try expectMatches(nchw(y), "bn_eval.y", in: file)
    y.backward(seed: nhwc(try file.tensor(named: "bn_eval.g")))
    try expectMatches(x.gradient.map(nchw), "bn_eval.grad_x", in: file)
    try expectMatches(bn.weight.gradient, "bn_eval.grad_weight", in: file)
    try expectMatches(bn.bias.gradient, "bn_eval.grad_bias", in: file)
    try expectMatches(bn.runningMean.value, "bn_eval.running_mean", in: file)
    #expect(bn.numBatchesTracked.value.item == 0)
  }

  @Test("Conv2d.fold(conv:batchNorm:fusedReLU:) equals relu(bn(conv(x))) in PyTorch")
  func fold() throws {
    // make_conv_fixtures.py:
    //   conv = nn.Conv2d(3, 6, 3, stride=2, padding=1, bias=False); bn = nn.BatchNorm2d(6)
    //   bn.weight, bn.bias = randn(6)×2; running_mean = randn(6)·0.3; running_var = rand(6) + 0.5
    //   bn.eval(); y = relu(bn(conv(x))) for x = randn(2, 3, 9, 9)
    let file = try convReference()
    let conv = Conv2d(
      weight: try file.tensor(named: "fold.weight"), bias: nil, stride: 2, padding: 1)
    let bn = BatchNorm2d(featureCount: 6)
    bn.weight.assign(try file.tensor(named: "fold.bn_weight").scalars)
    bn.bias.assign(try file.tensor(named: "fold.bn_bias").scalars)
    bn.runningMean.value = try file.tensor(named: "fold.running_mean")
    bn.runningVariance.value = try file.tensor(named: "fold.running_var")
    let folded = Conv2d.fold(conv: conv, batchNorm: bn, fusedReLU: true)
    let x = nhwc(try file.tensor(named: "fold.x"))
    try expectMatches(
      nchw(Autograd.withoutGradient { folded(x) }), "fold.y", in: file)
    // Folding copies no weight: the folded layer reads the convolution's own storage, and
    // applies the batch norm as a per-channel output scale; in bf16, where the CPU runs it, it
    // keeps only the packed rounded weight (compact), else it too shares the storage.
    for precision in Precision.allCases {
      let again = Conv2d.fold(conv: conv, batchNorm: bn, fusedReLU: true, precision: precision)
      #expect(again.outputScale?.value.shape == [6])
      if again.isCompact {
        #expect(precision == .bf16 && again.frozenPrecision == .bf16)
        #expect(again.weight.value.scalars == roundedToBF16(conv.weight.value.scalars))
        #expect(again.weight.shape == [6, 3, 3, 3] && again.inputChannels == 3)
      } else {
        #expect(address(again.weight.value.scalars) == address(conv.weight.value.scalars))
      }
    }
    #expect(folded.stateDict().keys.sorted() == ["bias", "output_scale", "weight"])
    // The unfolded path (conv, BN eval, ReLU) agrees too.
    bn.eval()
    try expectMatches(nchw(bn(conv(x)).relu()), "fold.y", in: file)
  }

  @Test(
    "pooling layers forward and backward equal PyTorch's",
    arguments: ["maxpool", "avgpool", "adaptive1", "adaptive3"])
  func pooling(name: String) throws {
    // make_conv_fixtures.py:
    //   pool_case("maxpool", (2, 3, 9, 8), nn.MaxPool2d(3, 2, 1))
    //   pool_case("avgpool", (2, 3, 9, 8), nn.AvgPool2d(3, 2, 1))
    //   pool_case("adaptive1", (2, 3, 7, 7), nn.AdaptiveAvgPool2d((1, 1)))
    //   pool_case("adaptive3", (2, 3, 7, 7), nn.AdaptiveAvgPool2d((3, 3)))
    // The fixtures are NCHW; the layers run NHWC.
    let file = try convReference()
    let layer: any Layer =
      switch name {
      case "maxpool": MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
      case "avgpool": AvgPool2d(kernelSize: 3, stride: 2, padding: 1)
      case "adaptive1": AdaptiveAvgPool2d(outputSize: 1)
      default: AdaptiveAvgPool2d(outputHeight: 3, outputWidth: 3)
      }
    let x = nhwc(try file.tensor(named: "\(name).x")).requiringGradient()
    let y = layer(x)
    try expectMatches(nchw(y), "\(name).y", in: file)
    y.backward(seed: nhwc(try file.tensor(named: "\(name).g")))
    try expectMatches(x.gradient.map(nchw), "\(name).grad_x", in: file)
  }

  @Test("state-dict keys, shapes and defaults match PyTorch's")
  func stateDictKeys() {
    var generator = SeededGenerator(seed: 1)
    let conv = Conv2d(
      inputChannels: 4, outputChannels: 6, kernelSize: 3, padding: 1, bias: false,
      generator: &generator)
    #expect(conv.namedParameters.map(\.0) == ["weight"])
    #expect(conv.weight.shape == [6, 4, 3, 3])
    // kaiming_uniform_(a=√5): U(−1/√36, 1/√36)
    #expect(conv.weight.value.scalars.allSatisfy { abs($0) <= 1 / 6 })
    let biased = Conv2d(inputChannels: 4, outputChannels: 6, kernelSize: 1, generator: &generator)
    #expect(biased.weight.shape == [6, 4, 1, 1] && biased.inputChannels == 4)
    #expect(biased.namedParameters.map(\.0) == ["weight", "bias"])
    let bn = BatchNorm2d(featureCount: 5)
    #expect(bn.namedParameters.map(\.0) == ["weight", "bias"])
    #expect(bn.namedBuffers.map(\.0) == ["running_mean", "running_var", "num_batches_tracked"])
    #expect(bn.numBatchesTracked.value.shape == [])
    #expect(bn.runningVariance.value.scalars == [1, 1, 1, 1, 1])
    #expect(MaxPool2d(kernelSize: 2).stride == 2)
  }

  @Test("a small conv → BN → ReLU → max-pool → global-average stack trains end to end")
  func stackShapes() {
    var generator = SeededGenerator(seed: 3)
    let conv = Conv2d(
      inputChannels: 3, outputChannels: 8, kernelSize: 7, stride: 2, padding: 3, bias: false,
      generator: &generator)
    let bn = BatchNorm2d(featureCount: 8)
    let x = Tensor.randomNormal([2, 32, 32, 3], using: &generator)  // [N, H, W, C]
    let features = bn(conv(x)).relu().maxPooled2d(kernelSize: 3, stride: 2, padding: 1)
    #expect(features.shape == [2, 8, 8, 8])
    let pooled = AdaptiveAvgPool2d()(features)
    #expect(pooled.shape == [2, 1, 1, 8])
    pooled.sum().backward()
    #expect(conv.weight.gradient?.shape == [8, 3, 7, 7])
    #expect(bn.weight.gradient?.shape == [8])
  }
}

/// The address of an array's storage (two arrays with one address share it).
private func address(_ values: [Float]) -> UInt {
  values.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
}
