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
}
