import Foundation
import Kernels

// Release-mode benchmarks, each side by side with its reference script in the same run.
// Usage: swift run -c release Benchmarks [foundation|logistic|all] [--threads N]
// Threads: --threads N, else CLASSIFY_THREADS, else every core; applied, with BLAS
// single-threaded and the allocator thresholds, before any work (as the classify CLI does).
var arguments = Array(CommandLine.arguments.dropFirst())
var threads = ProcessInfo.processInfo.environment["CLASSIFY_THREADS"].flatMap(Int.init)
if let index = arguments.firstIndex(of: "--threads"), index + 1 < arguments.count,
  let value = Int(arguments[index + 1])
{
  threads = value
  arguments.removeSubrange(index...(index + 1))
}
// `peers --rounds N`: how many paired rounds (5 by default, 2 with `quick`).
var rounds: Int?
if let index = arguments.firstIndex(of: "--rounds"), index + 1 < arguments.count,
  let value = Int(arguments[index + 1])
{
  rounds = max(1, value)
  arguments.removeSubrange(index...(index + 1))
}
ProcessSettings.applyForThisProcess(threads: threads.map { max(1, $0) })
if arguments.first == "check-resnet" {
  do { print(try runResNetCheck(Array(arguments.dropFirst()))) } catch {
    print("check-resnet: \(error)")
    exit(1)
  }
  exit(0)
}
if arguments.first == "head-loop" {
  print(runHeadLoop(Array(arguments.dropFirst())))
  exit(0)
}
if arguments.first == "train-loop" {
  print(runTrainLoop(Array(arguments.dropFirst())))
  exit(0)
}
if arguments.first == "forward-layers" {
  print(runForwardLayers(Array(arguments.dropFirst())))
  exit(0)
}
if arguments.first == "forward-loop" {
  print(runForwardLoop(Array(arguments.dropFirst())))
  exit(0)
}
let selection = Set(arguments.isEmpty ? ["all"] : arguments)
func wanted(_ name: String) -> Bool { selection.contains(name) || selection.contains("all") }

print("reference: \(referenceDescription())")
// A preset OPENBLAS_CORETYPE is the user's choice, which classify keeps; it is named here because
// it changes every BLAS-bound number (on AMD Zen 5, Haswell's kernels run sgemm at half the rate
// of the Cooperlake ones OpenBLAS picks by itself).
let presetCore = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].map {
  " (OPENBLAS_CORETYPE=\($0) set in the environment)"
}
print(
  "ours: OpenBLAS kernels \(ProcessSettings.blasKernels ?? "none (Accelerate)")\(presetCore ?? ""), threads \(ComputeThreads.count)"
)
if wanted("foundation") { print(runFoundationBenchmark()) }
if wanted("logistic") { print(runLogisticBenchmark()) }
if wanted("resnet") { print(runResNetBenchmark(quick: selection.contains("quick"))) }
if wanted("conv") { print(runConvolutionBenchmark()) }
if wanted("dataloader") { print(runDataLoaderBenchmark()) }
if wanted("finetune") { print(runFineTuneBenchmark(quick: selection.contains("quick"))) }
// Not in "all": it needs the peers' venv (torch, onnxruntime, openvino) and takes minutes.
if selection.contains("peers") {
  let quick = selection.contains("quick")
  print(runPeersBenchmark(quick: quick, rounds: rounds ?? (quick ? 2 : 5)))
}
