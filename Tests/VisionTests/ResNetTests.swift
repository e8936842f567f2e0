import Checkpoints
import Downloader
import Foundation
import NN
import TensorCore
import TestSupport
import Testing

@testable import Vision

/// classify's ResNet against torchvision's, from fixtures written by
/// scripts/fixtures/make_resnet_fixtures.py (torchvision's own Bottleneck/BasicBlock code at
/// stage width 8 (ResNet-50) and 4 (ResNet-18), random weights, non-trivial BN statistics).
@Suite("ResNet against torchvision")
struct ResNetTests {
  let reference: SafetensorsFile

  init() throws {
    reference = try SafetensorsFile.read(from: try resnetFixture("resnet_reference.safetensors"))
  }

  func fixture(_ name: String) throws -> URL { try resnetFixture(name) }

  func expected(_ name: String) throws -> [Float] { try reference.tensor(named: name).scalars }

  /// Expects `actual` to match the float64 reference `name` in max-abs error relative to the
  /// reference's largest magnitude, within `factor` × torch-float32's own error on the same
  /// quantity (stored beside it), and never looser than `floor` allows.
  func expectMatches(
    _ actual: [Float], _ name: String, factor: Double = 4, floor: Double = 2e-5,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let exact = try expected(name)
    #expect(actual.count == exact.count, "\(name): count", sourceLocation: sourceLocation)
    let scale = exact.map { Swift.abs(Double($0)) }.max() ?? 0
    let error = zip(actual, exact).map { Swift.abs(Double($0) - Double($1)) }.max() ?? 0
    let relative = error / Swift.max(scale, 1e-30)
    let torchError = Double(try expected("\(name).torch32_error")[0])
    let bound = Swift.max(factor * torchError, floor)
    #expect(
      relative <= bound,
      "\(name): error \(relative) vs bound \(bound) (torch float32: \(torchError))",
      sourceLocation: sourceLocation)
  }

  func resnet50() throws -> ResNet {
    let model = try ResNet(depth: 50, classCount: 10, baseWidth: 8)
    try model.loadStateDict(try loadCheckpoint(from: try fixture("resnet50_w8.safetensors")))
    return model
  }

  @Test("the state-dict keys and shapes equal torchvision's, so its checkpoints load strictly")
  func keys() throws {
    let model = try ResNet(depth: 50, classCount: 10, baseWidth: 8)
    let torchvision = try SafetensorsFile.read(from: try fixture("resnet50_w8.safetensors"))
    #expect(Set(model.stateDict().keys) == Set(torchvision.names))
    #expect(model.stateDict()["layer1.0.downsample.0.weight"]?.shape == [32, 8, 1, 1])
    #expect(model.featureCount == 256)
  }

  @Test(
    "eval mode: features and logits equal torchvision's (as close as torch float32 is to float64)")
  func evalForward() throws {
    let model = try resnet50()
    model.eval()
    let x = try reference.tensor(named: "x")
    // with torch.no_grad(): r50.features(x), r50(x)
    try expectMatches(model.features(x).scalars, "r50.eval.features")
    try expectMatches(model(x).scalars, "r50.eval.logits")
    // The folded model computes the same features and logits, in one pass or image by image.
    let folded = model.folded()
    #expect(folded.isFolded && !model.isFolded)
    #expect(!folded.stateDict().keys.contains { $0.contains("bn") })
    try expectMatches(folded.features(x).scalars, "r50.eval.features")
    try expectMatches(folded(x).scalars, "r50.eval.logits")
    #expect(x.shape[0] > 1, "the fixture batch must hold several images for the split to split")
    // Per image at 64×64, width 8: the stem's 8×32² and the first stages' 32×16² elements, the
    // third stage's input 64×8², the last's 128×4². A budget of 8,192 elements then runs the
    // stem and the first two stages image by image, the third stage on pairs and the last on
    // all four: passes of different sizes, concatenated along the batch axis of [N, H, W, C].
    folded.activationsPerPass = 8192
    #expect(folded.imagesPerPass(height: 64, width: 64) == [1, 1, 1, 2, 4])
    try expectMatches(folded.features(x).scalars, "r50.eval.features")
    folded.activationsPerPass = 1
    #expect(folded.imagesPerPass(height: 64, width: 64) == [1, 1, 1, 1, 1])
    try expectMatches(folded.features(x).scalars, "r50.eval.features")
    // Folding records no tape, and a folded model folds to the same function.
    #expect(!folded.features(x).requiresGradient)
    try expectMatches(folded.folded().features(x).scalars, "r50.eval.features")
  }

  @Test("folded in bf16, features stay within 2e-2 of torchvision's fp32 (fp32 where unsupported)")
  func bf16Features() throws {
    let model = try resnet50()
    model.eval()
    let x = try reference.tensor(named: "x")
    let folded = model.folded(precision: .bf16)
    #expect(folded.precision == (Precision.bf16.isSupported ? .bf16 : .fp32))
    let features = folded.features(x).scalars
    let exact = try expected("r50.eval.features")
    let scale = exact.map { abs(Double($0)) }.max() ?? 1
    let error = zip(features, exact).map { abs(Double($0) - Double($1)) }.max() ?? 0
    // PyTorch's own bf16 autocast is 1.3e-2 from fp32 on the full-size ResNet-50.
    #expect(error / scale < 2e-2, "bf16 features off by \(error / scale) relative")
    if Precision.bf16.isSupported {
      #expect(error / scale > 1e-6, "bf16 must actually round (got fp32-exact features)")
    }
    // A bf16 model that keeps only its packed weights (compact, where the CPU runs bf16) has no
    // fp32 weights left: refolded in fp32 it multiplies the rounded weights in fp32. Elsewhere
    // the bf16 fold kept the weights themselves, and refolding gives fp32 features again.
    let refolded = folded.folded(precision: .fp32)
    #expect(refolded.precision == .fp32)
    if folded.conv1.isCompact {
      let again = refolded.features(x).scalars
      let drift = zip(again, exact).map { abs(Double($0) - Double($1)) }.max() ?? 0
      #expect(drift / scale < 2e-2 && drift / scale > 1e-6)
    } else {
      try expectMatches(refolded.features(x).scalars, "r50.eval.features")
    }
  }

  @Test(
    "folding in place gives the model folded() returns, bit for bit, in fp32 and bf16; its trainable layers are gone",
    arguments: Precision.allCases)
  func foldInPlace(precision: Precision) throws {
    let model = try resnet50()
    model.eval()
    let x = try reference.tensor(named: "x")
    let head = model.fc
    let expected = model.folded(precision: precision).features(x).scalars
    model.fold(precision: precision)
    #expect(model.isFolded && !model.isTraining && model.fc === head)
    #expect(model.precision == precision.effective)
    #expect(!model.stateDict().keys.contains { $0.contains("bn") })
    #expect(model.features(x).scalars == expected)
    // Compact bf16 layers keep no weight in the state dict; fp32 ones keep theirs.
    let weights = model.stateDict().keys.filter { $0.hasSuffix("conv1.weight") }
    #expect(weights.isEmpty == (model.precision == .bf16))
    // Folding again changes nothing.
    model.fold(precision: precision)
    #expect(model.features(x).scalars == expected)
    // No forward unpacks a compact weight (each unpack is the whole weight: a residual block that
    // asked for `weight` on every call once cost bf16 a quarter of its speed).
    let convolutions = model.stages.flatMap { stage in
      stage.blocks.flatMap { $0.convolutions + ($0.downsample.map { [$0.conv] } ?? []) }
    }
    let before = convolutions.map(\.weightUnpacks)
    _ = model(x)
    #expect(convolutions.map(\.weightUnpacks) == before)
    if model.precision == .bf16 { #expect(convolutions.allSatisfy { $0.isCompact }) }
  }

  @Test("bf16 and fp32 agree on the top-1 class of ≥ 99 % of 320 images")
  func bf16TopOneAgreement() throws {
    guard Precision.bf16.isSupported else { return }
    let model = try resnet50()
    model.eval()
    let (exact, fast) = (model.folded(), model.folded(precision: .bf16))
    var generator = SeededGenerator(seed: 12)
    var agree = 0
    var total = 0
    for _ in 0..<5 {
      // Smooth random images (blurred noise plus a colour cast), as photos are, not white noise.
      let noise = Tensor.randomNormal([64, 3, 8, 8], using: &generator)
      let cast = Tensor.randomNormal([64, 3, 1, 1], using: &generator)
      let images = Vision.resize(noise, height: 32, width: 32) + cast
      let a = exact(images).argmax(alongAxis: 1)
      let b = fast(images).argmax(alongAxis: 1)
      agree += zip(a, b).filter { $0 == $1 }.count
      total += a.count
    }
    #expect(Double(agree) / Double(total) >= 0.99, "top-1 agreement \(agree) of \(total)")
  }

  @Test("fc is any layer: a Sequential head replaces it, under torchvision's keys, folded or not")
  func replaceableHead() throws {
    let model = try resnet50()
    model.eval()
    var generator = SeededGenerator(seed: 4)
    let head = Sequential([
      Linear(inputFeatures: model.featureCount, outputFeatures: 6, generator: &generator), ReLU(),
      Linear(inputFeatures: 6, outputFeatures: 3, generator: &generator),
    ])
    model.fc = head
    let keys = Set(model.stateDict().keys)
    #expect(keys.contains("fc.0.weight") && keys.contains("fc.2.bias"))
    #expect(!keys.contains("fc.weight"))
    let x = try reference.tensor(named: "x")
    let logits = model(x)
    #expect(logits.shape == [x.shape[0], 3])
    // Independent path: the head applied by hand to the torchvision-checked features.
    let features = Tensor(shape: [x.shape[0], 256], scalars: try expected("r50.eval.features"))
    expectClose(logits.scalars, head(features).scalars, absolute: 1e-5, relative: 1e-4)
    // The folded model shares the head object: training one trains the other.
    let folded = model.folded()
    #expect(folded.fc === head)
    expectClose(folded(x).scalars, logits.scalars, absolute: 1e-5, relative: 1e-4)
    // The architecture is still read off a state dict whose fc is not a Linear.
    let architecture = try ResNet.architecture(of: model.stateDict(), source: "custom head")
    #expect(architecture.depth == 50 && architecture.baseWidth == 8)
    #expect(architecture.classCount == nil)
  }

  @Test("a torch.save .pth and a safetensors file of the same weights load identically")
  func pthEqualsSafetensors() throws {
    let pth = try loadCheckpoint(from: try fixture("resnet50_w8.pth"))
    let safetensors = try loadCheckpoint(from: try fixture("resnet50_w8.safetensors"))
    #expect(pth.keys.sorted() == safetensors.keys.sorted())
    for (key, value) in pth { #expect(value == safetensors[key], "\(key)") }
  }

  @Test("one bottleneck block in training mode equals torchvision's to float32 precision")
  func bottleneckBlock() throws {
    var generator = SeededGenerator(seed: 0)
    let block = ResidualBlock(
      kind: .bottleneck, inputChannels: 8, planes: 4, stride: 2, generator: &generator)
    let prefix = "block.state."
    try block.loadStateDict(
      Dictionary(
        uniqueKeysWithValues: reference.names.filter { $0.hasPrefix(prefix) }.map {
          (String($0.dropFirst(prefix.count)), try reference.tensor(named: $0))
        }))
    block.train()
    let x = try reference.tensor(named: "block.x").requiringGradient()
    // Blocks see NHWC [N, H, W, C] and answer in kind; the fixture is NCHW.
    let output = block(x.permuted([0, 2, 3, 1])).permuted([0, 3, 1, 2])
    // block_loss = (block(bxg) * bw).sum(); block_loss.backward()   (float64)
    let loss = (output * (try reference.tensor(named: "block.w"))).sum()
    expectClose(
      Double(loss.item), Double(try expected("block.loss")[0]), absolute: 1e-5, relative: 1e-5)
    loss.backward()
    expectClose(
      try #require(x.gradient).scalars, try expected("block.grad.x"), absolute: 1e-5, relative: 1e-4
    )
    for (key, parameter) in block.namedParameters {
      expectClose(
        try #require(parameter.gradient).scalars, try expected("block.grad.\(key)"), absolute: 1e-5,
        relative: 1e-4, "\(key)")
    }
  }

  /// Deep random networks in training mode amplify rounding chaotically (torch's own float32
  /// gradients of the first layers differ from float64 by ~1 %); classify's differ by a few
  /// percent, within 20× torch's own float32 error, while every single block matches to 1e-7
  /// (the test above) and eval mode, ResNet-18 and the last layers match to torch's precision.
  @Test("train mode: loss, gradients and running statistics equal torchvision's")
  func trainForwardBackward() throws {
    let model = try resnet50()
    model.train()
    let x = try reference.tensor(named: "x").requiringGradient()
    let labels = try expected("labels").map { Int($0) }
    // logits = r50(xg); loss = F.cross_entropy(logits, labels); loss.backward()
    let logits = model(x)
    try expectMatches(logits.scalars, "r50.train.logits")
    let loss = Loss.crossEntropy(logits: logits, labels: labels)
    try expectMatches([loss.item], "r50.train.loss")
    loss.backward()
    let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters)
    for key in [
      "conv1.weight", "bn1.weight", "layer1.0.downsample.0.weight", "layer3.1.conv2.weight",
      "layer4.2.conv3.weight", "layer4.2.bn3.bias", "fc.weight", "fc.bias",
    ] {
      let gradient = try #require(parameters[key]?.gradient, "no gradient for \(key)")
      try expectMatches(gradient.scalars, "r50.train.grad.\(key)", factor: 20)
    }
    try expectMatches(try #require(x.gradient).scalars, "r50.train.grad.x", factor: 20)
    let buffers = Dictionary(uniqueKeysWithValues: model.namedBuffers)
    for key in [
      "bn1.running_mean", "bn1.running_var", "layer4.2.bn3.running_var",
      "layer2.0.downsample.1.running_mean",
    ] {
      try expectMatches(try #require(buffers[key]).value.scalars, "r50.train.running.\(key)")
    }
  }

  @Test("ResNet-18 (BasicBlock): eval logits and train gradients equal torchvision's")
  func resnet18() throws {
    let model = try ResNet(depth: 18, classCount: 10, baseWidth: 4)
    try model.loadStateDict(try loadCheckpoint(from: try fixture("resnet18_w4.safetensors")))
    let x = try reference.tensor(named: "x")
    model.eval()
    try expectMatches(model(x).scalars, "r18.eval.logits")
    model.train()
    let input = x.requiringGradient()
    Loss.crossEntropy(logits: model(input), labels: try expected("labels").map { Int($0) })
      .backward()
    let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters)
    for key in [
      "conv1.weight", "layer2.0.downsample.0.weight", "layer4.1.conv2.weight", "fc.weight",
    ] {
      try expectMatches(try #require(parameters[key]?.gradient).scalars, "r18.train.grad.\(key)")
    }
    try expectMatches(try #require(input.gradient).scalars, "r18.train.grad.x")
  }

  @Test("a checkpoint for another architecture is refused, naming every mismatch")
  func wrongArchitecture() throws {
    let model = try ResNet(depth: 18, classCount: 10, baseWidth: 4)
    do {
      try model.loadStateDict(try loadCheckpoint(from: try fixture("resnet50_w8.safetensors")))
      Issue.record("loading ResNet-50 weights into a ResNet-18 must fail")
    } catch {
      let message = "\(error)"
      #expect(message.contains("layer1.0.conv3.weight"))  // unexpected
      #expect(message.contains("shape"))  // e.g. conv1 of width 8 into width 4
    }
    #expect(throws: ResNet.ConfigurationError.self) { try ResNet(depth: 42) }
  }
}

/// The URL of a file in Tests/VisionTests/Fixtures.
func resnetFixture(_ name: String) throws -> URL {
  let base = (name as NSString).deletingPathExtension
  let ext = (name as NSString).pathExtension
  return try #require(Bundle.module.url(forResource: "Fixtures/\(base)", withExtension: ext))
}

@Suite("ResNet checkpoints")
struct ResNetCheckpointTests {
  @Test("the architecture is read off a checkpoint: depth, classes and width")
  func architecture() throws {
    let r50 = try ResNet.load(from: try resnetFixture("resnet50_w8.pth"))
    let classifier = try #require(r50.fc as? Linear)
    #expect(r50.depth == 50 && classifier.outputFeatures == 10 && r50.conv1.outputChannels == 8)
    let r18 = try ResNet.load(from: try resnetFixture("resnet18_w4.safetensors"))
    #expect(r18.depth == 18 && r18.featureCount == 32)
  }

  @Test(
    "a model built for loading has the random model's keys and shapes, all zero, and loads it exactly"
  )
  func forLoading() throws {
    let random = try ResNet(depth: 18, classCount: 10, baseWidth: 4, seed: 5)
    let empty = try ResNet.forLoading(depth: 18, classCount: 10, baseWidth: 4)
    let (theirs, ours) = (random.stateDict(), empty.stateDict())
    #expect(ours.keys.sorted() == theirs.keys.sorted())
    for (key, value) in theirs { #expect(ours[key]?.shape == value.shape, "\(key)") }
    // Weights zero; batch-norm scales and running variances one, as for any new model.
    #expect(empty.conv1.weight.value.scalars.allSatisfy { $0 == 0 })
    #expect(try #require(empty.fc as? Linear).weight.value.scalars.allSatisfy { $0 == 0 })
    try empty.loadStateDict(theirs, strict: true, source: "random")
    random.eval()
    empty.eval()
    var generator = SeededGenerator(seed: 2)
    let input = Tensor.randomNormal([2, 3, 16, 16], using: &generator)
    let (expected, actual) = Autograd.withoutGradient { (random(input), empty(input)) }
    #expect(actual.scalars.map(\.bitPattern) == expected.scalars.map(\.bitPattern))
  }

  @Test("a state dict that is not a ResNet is refused with the file's name")
  func notAResNet() throws {
    var state = try loadCheckpoint(from: try resnetFixture("resnet18_w4.safetensors"))
    state = state.filter { !$0.key.hasPrefix("layer4.1.") }
    do {
      _ = try ResNet.architecture(of: state, source: "odd.pth")
      Issue.record("a ResNet-18 missing a block is no standard depth")
    } catch {
      #expect("\(error)".contains("odd.pth") && "\(error)".contains("[2, 2, 2, 1]"))
    }
  }
}

@Suite("ImageClassifier")
struct ImageClassifierTests {
  @Test("decode → ImageNet transform → ResNet → softmax equals torchvision on a real PNG")
  func pipeline() throws {
    let reference = try SafetensorsFile.read(
      from: try resnetFixture("resnet_reference.safetensors"))
    // torch.softmax(net(pipeline(Image.open("transform_pipeline_input.png").convert("RGB"))), dim=1)
    let expected = try reference.tensor(named: "predict.probabilities").scalars
    let classifier = ImageClassifier(
      model: try ResNet.load(from: try resnetFixture("resnet50_w8.safetensors")))
    let prediction = try #require(
      try classifier.classify([try resnetFixture("transform_pipeline_input.png")], top: 10).first)
    #expect(prediction.top.map(\.index) == expected.indices.sorted { expected[$0] > expected[$1] })
    for score in prediction.top {
      expectClose(
        Double(score.probability), Double(expected[score.index]), absolute: 1e-5, relative: 1e-4)
      #expect(score.name == "class \(score.index)")
    }
  }

  @Test("an undecodable file is reported by name")
  func badImage() throws {
    let classifier = ImageClassifier(model: try ResNet(depth: 18, classCount: 1000, baseWidth: 4))
    #expect(classifier.classNames[207] == "golden retriever")
    do {
      _ = try classifier.classify([try resnetFixture("resnet18_w4.safetensors")])
      Issue.record("a safetensors file is not an image")
    } catch {
      #expect("\(error)".contains("resnet18_w4.safetensors"))
    }
  }
}

@Suite("WeightsLocator")
struct WeightsLocatorTests {
  @Test("a path is used as is; a model name is looked up in the cache, with the fix when missing")
  func resolve() throws {
    let file = try resnetFixture("resnet18_w4.safetensors")
    #expect(try WeightsLocator.resolve(file.path) == file)
    let cache = CacheDirectory(
      root: FileManager.default.temporaryDirectory.appendingPathComponent(
        "classify-empty-cache-\(UInt32.random(in: 0...UInt32.max))"))
    do {
      _ = try WeightsLocator.resolve("resnet50:v1", cache: cache)
      Issue.record("an empty cache has no weights")
    } catch {
      #expect("\(error)".contains("classify weights download resnet50 --variant v1"))
    }
    #expect(throws: WeightsLocator.NotFound.self) {
      try WeightsLocator.resolve("resnet42", cache: cache)
    }
    #expect(throws: WeightsLocator.NotFound.self) {
      try WeightsLocator.resolve("resnet50:v9", cache: cache)
    }
  }
}
