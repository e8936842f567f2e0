import Checkpoints
import Foundation
import NN
import TensorCore
import Vision

/// `Benchmarks check-resnet WEIGHTS INPUT OUTPUT`: loads a torchvision ResNet checkpoint and an
/// input tensor `x` from a safetensors file, and writes `features`, `features_folded` and
/// `logits` (evaluation mode) to OUTPUT, for scripts/check_resnet50.py to compare with PyTorch.
func runResNetCheck(_ arguments: [String]) throws -> String {
  guard arguments.count == 3 else { return "usage: Benchmarks check-resnet WEIGHTS INPUT OUTPUT" }
  let model = try ResNet.load(from: URL(fileURLWithPath: arguments[0]))
  model.eval()
  let input = try SafetensorsFile.read(from: URL(fileURLWithPath: arguments[1])).tensor(named: "x")
  let features = Autograd.withoutGradient { model.features(input) }
  let folded = model.folded().features(input)
  let logits = Autograd.withoutGradient { model.fc(features) }
  try SafetensorsFile.write(
    ["features": features, "features_folded": folded, "logits": logits],
    to: URL(fileURLWithPath: arguments[2]))
  return "wrote \(arguments[2])"
}
