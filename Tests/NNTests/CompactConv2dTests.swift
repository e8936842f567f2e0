import Foundation
import TestSupport
import Testing

@testable import NN
@testable import TensorCore

/// `x` rounded to the nearest bfloat16, ties to even: written out here so that the tests of the
/// compact layers have an oracle of their own (finite values only).
func roundedToBF16(_ values: [Float]) -> [Float] {
  values.map { value in
    let bits = value.bitPattern
    let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000
    return Float(bitPattern: rounded)
  }
}

/// A folded bf16 convolution keeps only its packed weight (`Conv2d.isCompact`), where the CPU runs
/// bf16: what it still shows of its weight, its state dict, and its results.
@Suite("Compact bf16 convolutions: no fp32 weight kept, the same results")
struct CompactConv2dTests {
  /// A conv → BN pair with a non-trivial batch norm, and its fp32 and bf16 folds.
  private func layers(
    padding: Int = 1
  ) -> (conv: Conv2d, bn: BatchNorm2d, fp32: Conv2d, bf16: Conv2d) {
    var generator = SeededGenerator(seed: 21)
    let conv = Conv2d(
      inputChannels: 6, outputChannels: 10, kernelSize: 3, padding: padding, bias: false,
      generator: &generator)
    let bn = BatchNorm2d(featureCount: 10)
    bn.weight.assign((0..<10).map { Float($0) / 5 - 0.9 })
    bn.bias.assign((0..<10).map { Float($0) / 7 - 0.5 })
    bn.runningMean.value = Tensor((0..<10).map { Float($0) / 30 })
    bn.runningVariance.value = Tensor((0..<10).map { 0.5 + Float($0) / 10 })
    return (
      conv, bn, Conv2d.fold(conv: conv, batchNorm: bn, fusedReLU: true),
      Conv2d.fold(conv: conv, batchNorm: bn, fusedReLU: true, precision: .bf16)
    )
  }

  @Test("a compact layer shows its rounded weight, and no weight in its parameters or state dict")
  func whatItKeeps() throws {
    let (conv, _, fp32, bf16) = layers()
    #expect(!fp32.isCompact && fp32.namedParameters.map(\.0) == ["weight", "bias"])
    guard bf16.isCompact else {
      // Without bf16 instructions the bf16 fold is an fp32 one, weight shared.
      #expect(bf16.frozenPrecision == .fp32 && bf16.stateDict()["weight"] != nil)
      return
    }
    let rounded = roundedToBF16(conv.weight.value.scalars)
    #expect(bf16.weight.value.scalars == rounded)
    #expect(rounded != conv.weight.value.scalars, "the rounding is visible on these values")
    #expect(bf16.weight.shape == [10, 6, 3, 3] && bf16.kernelSize == (3, 3))
    #expect(!bf16.weight.requiresGradient)
    #expect(bf16.namedParameters.map(\.0) == ["bias"])
    #expect(bf16.stateDict().keys.sorted() == ["bias", "output_scale"])
    #expect(fp32.stateDict().keys.sorted() == ["bias", "output_scale", "weight"])
    // Loading a full state dict into it is refused (the weight would have nowhere to go), never
    // silently dropped.
    #expect(throws: StateDictError.self) { try bf16.loadStateDict(fp32.stateDict()) }
    // Folding it again, in fp32, gives a layer on its rounded weight.
    let back = bf16.frozen(in: .fp32)
    #expect(!back.isCompact && back.weight.value.scalars == rounded)
  }

  @Test(
    "a compact layer's output equals the full bf16 layer's, bit for bit, with and without a shortcut; and a 1×1 map crops its taps",
    arguments: [9, 1])
  func sameResults(size: Int) {
    let (conv, bn, _, bf16) = layers()
    // The full bf16 layer: the same fold on a FrozenWeight that keeps the fp32 weight.
    let full = Conv2d.fold(conv: conv, batchNorm: bn, fusedReLU: true, precision: .bf16)
    var generator = SeededGenerator(seed: 22)
    let x = Tensor.randomNormal([3, size, size, 6], using: &generator)
    let shortcut = Tensor.randomNormal([3, size, size, 10], using: &generator)
    let reference = FrozenWeight(conv.weight.value.scalars, precision: .bf16)
    let expected = x.convolved2d(
      weight: conv.weight.value, bias: full.bias?.value, outputScale: full.outputScale?.value,
      padding: 1, fusedReLU: true, frozen: reference)
    let expectedSum = x.convolved2dAddingReLU(
      shortcut, weight: conv.weight.value, bias: full.bias?.value,
      outputScale: full.outputScale?.value, padding: 1, frozen: reference)
    Autograd.withoutGradient {
      #expect(bf16(x).scalars == expected.scalars)
      #expect(bf16(x, addingReLU: shortcut).scalars == expectedSum.scalars)
      #expect(bf16(x).scalars == expected.scalars, "again, on the kept crop")
    }
  }

  @Test("an input on the tape still gets its gradient through a compact layer")
  func gradientThroughCompact() {
    let (conv, bn, _, bf16) = layers()
    var generator = SeededGenerator(seed: 23)
    let x = Tensor.randomNormal([2, 5, 5, 6], using: &generator).requiringGradient()
    bf16(x).sum().backward()
    let gradient = x.gradient
    #expect(gradient != nil)
    // The reference: the same fold in fp32 on the weight the compact layer multiplies by.
    let rounded = Conv2d(
      weight: bf16.weight.value, bias: nil, stride: 1, padding: 1)
    let twin = Conv2d.fold(conv: rounded, batchNorm: bn, fusedReLU: true)
    let y = x.detached.requiringGradient()
    twin(y).sum().backward()
    #expect(conv.weight.shape == [10, 6, 3, 3])
    expectClose(
      gradient?.scalars ?? [], y.gradient?.scalars ?? [1], absolute: 1e-5, relative: 1e-5)
  }
}
