import CKernelSupport
import Testing

@testable import Kernels

/// Process-wide settings are checked in child processes (exit tests): a fresh process shows what
/// a library user's process starts with, and nothing changes for the tests running alongside
/// (a thread count can change a GEMM's rounding).
@Suite("Process settings")
struct ProcessSettingsTests {
  @Test("a program that only links the kernels keeps its BLAS threading and runs on one thread")
  func libraryLeavesProcessAlone() async {
    await #expect(processExitsWith: .success) {
      ProcessSettings.setBLASThreadCount(2)
      // [[1, 2], [3, 4]]² by hand.
      let a: [Float] = [1, 2, 3, 4]
      let c = MatMulKernels.matmul(a, batchA: 1, a, batchB: 1, m: 2, k: 2, n: 2)
      precondition(c == [7, 10, 15, 22], "product \(c)")
      precondition(ProcessSettings.blasThreadCount == 2, "a kernel changed BLAS's threads")
      precondition(ComputeThreads.count == 1, "kernels use \(ComputeThreads.count) threads")
    }
  }

  @Test("applyForThisProcess sets the pool's thread count (at least 1) and BLAS single-threaded")
  func apply() async {
    await #expect(processExitsWith: .success) {
      ProcessSettings.setBLASThreadCount(2)
      ProcessSettings.applyForThisProcess(threads: 3)
      precondition(ComputeThreads.count == 3, "\(ComputeThreads.count) threads")
      precondition(ProcessSettings.blasThreadCount == 1, "BLAS kept its own threads")
      ProcessSettings.applyForThisProcess(threads: 0)
      precondition(ComputeThreads.count == 1, "\(ComputeThreads.count) threads for 0")
    }
  }

  @Test(
    "applyForThisProcess leaves OpenBLAS on AVX-512 kernels on an AVX-512 CPU, even where its CPU table is too old (Debian's 0.3.21 chose SSE3 on an Emerald Rapids Xeon), and products stay right"
  )
  func blasKernels() async {
    await #expect(processExitsWith: .success) {
      let before = ProcessSettings.blasKernels
      ProcessSettings.applyForThisProcess(threads: 1)
      guard let after = ProcessSettings.blasKernels else { return }  // Accelerate
      let sse = [
        "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn",
        "dunnington", "nehalem", "sandybridge", "unknown",
      ]
      if classify_cpu_has_avx512() != 0 {
        precondition(!sse.contains(after.lowercased()), "OpenBLAS runs \(after) kernels")
      }
      if let before, !sse.contains(before.lowercased()) {
        precondition(after == before, "a good choice (\(before)) was changed to \(after)")
      }
      // A product through BLAS after the switch: [[1, 2], [3, 4]]² by hand, and a wide one
      // against the naive loop.
      let a: [Float] = [1, 2, 3, 4]
      let c = MatMulKernels.matmul(a, batchA: 1, a, batchB: 1, m: 2, k: 2, n: 2)
      precondition(c == [7, 10, 15, 22], "product \(c)")
      let x = (0..<(64 * 96)).map { Float($0 % 7) - 3 }
      let y = (0..<(96 * 80)).map { Float($0 % 5) - 2 }
      let fast = MatMulKernels.matmul(x, batchA: 1, y, batchB: 1, m: 64, k: 96, n: 80)
      let naive = MatMulKernels.naiveMatmul(x, batchA: 1, y, batchB: 1, m: 64, k: 96, n: 80)
      precondition(fast == naive, "sgemm after the switch differs from the naive product")
    }
  }

  @Test(
    "weight gradients leave OpenBLAS only where its kernels are narrower than the CPU's AVX-512")
  func narrowerKernels() {
    // This host's preset, and OpenBLAS's own pick for a CPU its table predates.
    #expect(ProcessSettings.kernels("Haswell", areNarrowerThanAVX512: true))
    #expect(ProcessSettings.kernels("Zen", areNarrowerThanAVX512: true))
    // Its AVX-512 kernels, in any case; a CPU without AVX-512; Accelerate (no name).
    #expect(!ProcessSettings.kernels("Cooperlake", areNarrowerThanAVX512: true))
    #expect(!ProcessSettings.kernels("SKYLAKEX", areNarrowerThanAVX512: true))
    #expect(!ProcessSettings.kernels("SapphireRapids", areNarrowerThanAVX512: true))
    #expect(!ProcessSettings.kernels("Haswell", areNarrowerThanAVX512: false))
    #expect(!ProcessSettings.kernels(nil, areNarrowerThanAVX512: true))
  }
}
