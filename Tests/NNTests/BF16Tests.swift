import Checkpoints
import Foundation
import Kernels
import TestSupport
import Testing

@testable import NN
@testable import TensorCore

/// The tensors written by `scripts/fixtures/make_bf16_fixtures.py` (PyTorch).
private func bf16Reference() throws -> SafetensorsFile {
  let url = try #require(Bundle.module.resourceURL)
    .appendingPathComponent("Fixtures").appendingPathComponent("bf16_reference.safetensors")
  return try SafetensorsFile.read(from: url)
}

@Suite("bf16 against PyTorch")
struct BF16Tests {
  @Test("fp32 → bf16 rounding is bit-exact with x.to(torch.bfloat16): ties, subnormals, inf, NaN")
  func rounding() throws {
    let file = try bf16Reference()
    let x = try file.tensor(named: "round.x").scalars
    let expected = try file.tensor(named: "round.bits").scalars.map {
      UInt16(bitPattern: Int16($0))
    }
    let bits = BFloat16.bits(x)
    #expect(bits.count == expected.count)
    for (index, (actual, wanted)) in zip(bits, expected).enumerated() where actual != wanted {
      Issue.record("x[\(index)] = \(x[index]): bits \(actual), torch \(wanted)")
    }
  }

  @Test(
    "a bf16-frozen 1×1 convolution is torch's bf16 GEMM in the pairs form, and bf16 weights × fp32 inputs in the values form (fp32 where unsupported)"
  )
  func gemm() throws {
    let file = try bf16Reference()
    let a = try file.tensor(named: "gemm.a")  // [37, 150]
    let b = try file.tensor(named: "gemm.b")  // [150, 45]
    let c = try file.tensor(named: "gemm.c")  // [37, 45], both operands rounded to bf16
    let conv = Conv2d(
      weight: a.reshaped(to: [37, 150, 1, 1]), bias: nil, frozen: .bf16)
    // NHWC input [N = 1, H = 45, W = 1, C = 150]: b's columns are the pixels.
    let output = Autograd.withoutGradient {
      conv(b.transposed().reshaped(to: [1, 45, 1, 150]))
    }
    #expect(output.shape == [1, 45, 1, 37])
    let product = output.reshaped(to: [45, 37]).transposed()
    if Precision.bf16.isSupported {
      #expect(conv.frozenPrecision == .bf16)
      if Precision.bf16IsFasterThanFP32 {  // the pairs or AMX form: both operands rounded
        // fp32 sums of 150 exact bf16 products: ~1e-6 of the largest partial sum.
        expectClose(product.scalars, c.scalars, absolute: 1e-4, relative: 1e-5, "bf16 pairs")
      } else {
        let rounded = Tensor(shape: a.shape, scalars: BFloat16.rounded(a.scalars))
        expectClose(
          product.scalars, rounded.matmul(b).scalars, absolute: 1e-4, relative: 1e-5,
          "bf16 values")
      }
    } else {
      #expect(conv.frozenPrecision == .fp32)
      let exact = a.matmul(b)
      expectClose(product.scalars, exact.scalars, absolute: 1e-4, relative: 1e-5, "fp32 fallback")
    }
  }
}
