import Foundation
import Testing

@testable import Experiments

@Suite("Part 4's written part and test predictions")
struct FineTuneNarrativeTests {
  func history(validated: Bool) -> [HeadEpochMetrics] {
    (1...3).map { epoch in
      HeadEpochMetrics(
        epoch: epoch, trainLoss: 2 - 0.1 * Double(epoch), trainAccuracy: 0.5 + 0.1 * Double(epoch),
        validationLoss: validated ? 2.1 - 0.05 * Double(epoch) : nil,
        validationAccuracy: validated ? [0.40, 0.55, 0.55][epoch - 1] : nil)
    }
  }

  @Test(
    "the kept epoch is the best validation accuracy with ties to the lower loss; sentences follow the run"
  )
  func observations() {
    var configuration = FineTuneConfiguration()
    configuration.training.weightDecay = 0.001
    let narrative = FineTuneNarrative(
      configuration: configuration, history: history(validated: true), result: nil)
    // Epochs 2 and 3 tie at 55 %; epoch 3 has the lower validation loss (1.95 < 2.0).
    #expect(narrative.keptEpoch?.epoch == 3)
    let text = narrative.observations.joined(separator: " ")
    #expect(text.contains("epoch 3 is kept") && text.contains("55 %"))
    // Train 80 % − validation 55 % at epoch 3 = 25 points; L2 was on, augmentation off.
    #expect(text.contains("25 points above") && text.contains("L2 (λ = 0.001)"))
    #expect(!text.contains("augmentation (") && !text.contains("Unfreezing"))
    #expect(narrative.extensions[2].2 == "yes: λ = 0.001")
    #expect(narrative.extensions[7].2.hasPrefix("no"))
  }

  @Test("without validation the last epoch is kept and no validation number is claimed")
  func withoutValidation() {
    var configuration = FineTuneConfiguration()
    configuration.validation = 0
    let narrative = FineTuneNarrative(
      configuration: configuration, history: history(validated: false), result: nil)
    #expect(narrative.keptEpoch?.epoch == 3)
    let text = narrative.observations.joined(separator: " ")
    #expect(text.contains("No validation images were held out"))
    #expect(!text.contains("validation accuracy,"))
    #expect(narrative.extensions[1].2.hasPrefix("no (--validation 0)"))
  }

  @Test("the reproducing command lists exactly the options that differ from the defaults")
  func command() {
    var configuration = FineTuneConfiguration()
    configuration.root = "/data/my photos"
    configuration.head = "512,relu"
    configuration.training.learningRate = 0.01
    configuration.unfreezeEpochs = 2
    let command = FineTuneNarrative(
      configuration: configuration, history: [], result: nil
    ).command
    #expect(command.hasPrefix("classify finetune --root '/data/my photos' --head 512,relu"))
    #expect(command.contains("--learning-rate 0.01") && command.contains("--unfreeze-epochs 2"))
    for absent in ["--epochs", "--batch-size", "--momentum", "--dataset", "--weights"] {
      #expect(!command.contains(absent + " "), "\(absent)")
    }
  }

  @Test("every setting that differs from the defaults appears in the reproducing command")
  func commandCoversEveryOption() {
    var c = FineTuneConfiguration()
    c.precision = .bf16
    c.tta = true
    c.testFraction = 0.3
    c.training.optimizer = .adamw
    c.training.schedule = .oneCycle
    c.training.warmup = 0.25
    c.training.labelSmoothing = 0.1
    c.training.patience = 3
    c.training.classWeights = .balanced
    c.training.epochs = 4
    c.augment = "flip"
    c.resize = 64
    let command = FineTuneNarrative(configuration: c, history: [], result: nil).command
    let defaults = FineTuneConfiguration()
    let changed = FineTuneConfiguration.changedFields(
      from: defaults.canonicalJSON, to: c.canonicalJSON)
    #expect(changed.count >= 12)
    for key in changed {
      let option = "--" + key.map { $0.isUppercase ? "-" + $0.lowercased() : String($0) }.joined()
      #expect(command.contains(option), "\(option) missing from: \(command)")
    }
  }

  @Test(
    "test predictions round-trip through CSV (quoted names); mistakes by confidence; seeded sample")
  func predictions() throws {
    let rows = [
      TestPredictions.Row(index: 0, name: "a, b.png", label: 0, probabilities: [0.9, 0.1]),
      TestPredictions.Row(index: 1, name: "x\"y", label: 0, probabilities: [0.2, 0.8]),
      TestPredictions.Row(index: 2, name: "c", label: 1, probabilities: [0.6, 0.4]),
      TestPredictions.Row(index: 3, name: "d", label: 1, probabilities: [0.3, 0.7]),
    ]
    let table = TestPredictions(classNames: ["cat", "dog, big"], rows: rows)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "predictions-\(UUID().uuidString).csv")
    defer { try? FileManager.default.removeItem(at: url) }
    try Data(table.csv.utf8).write(to: url)
    #expect(TestPredictions.read(from: url) == table)
    // Mistakes: row 1 (0.8 for dog) before row 2 (0.6 for cat).
    #expect(table.confidentMistakes(5).map(\.index) == [1, 2])
    let sample = table.sample(2, excluding: [1, 2], seed: 7)
    #expect(sample.map(\.index) == [0, 3])
    #expect(table.sample(2, excluding: [], seed: 7) == table.sample(2, excluding: [], seed: 7))
    #expect(rows[1].top(1).first?.index == 1)
  }
}
