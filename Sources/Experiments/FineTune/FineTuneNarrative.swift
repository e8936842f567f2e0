import Foundation
import Plotting

/// Part 4's written part, generated from a finished run: what was implemented (the assignment's
/// eight extensions, and whether this run used each), what was observed (every sentence follows
/// from the run's own numbers), and the command that reproduces the run. Also the P4 readme the
/// assignment asks for.
struct FineTuneNarrative {
  let configuration: FineTuneConfiguration
  let history: [HeadEpochMetrics]
  let result: EvaluationResult?

  /// The kept epoch: the best validation accuracy (ties to the lower loss), else the last.
  var keptEpoch: HeadEpochMetrics? {
    if let epoch = result?.epoch, let kept = history.first(where: { $0.epoch == epoch }) {
      return kept
    }
    let validated = history.filter { $0.validationAccuracy != nil }
    return validated.max {
      ($0.validationAccuracy ?? 0, -($0.validationLoss ?? 0))
        < ($1.validationAccuracy ?? 0, -($1.validationLoss ?? 0))
    } ?? history.last
  }

  /// (extension, what classify does, whether and how this run used it).
  var extensions: [(String, String, String)] {
    let defaults = FineTuneConfiguration()
    let c = configuration
    let percent = { (value: Double) in Self.number(value * 100) + " %" }
    return [
      (
        "1. HTML results page",
        "every test image with its scores, filters, sorting, confusion matrix",
        "yes: results.html (finetune_results.html here)"
      ),
      (
        "2. Validation and best model",
        "validation every k epochs; the best model kept with its metrics",
        c.validation > 0
          ? "yes: \(percent(c.validation)) of the training images held out, every \(c.training.validateEvery) epoch(s)"
          : "no (--validation 0): the last head epoch's model is kept"
      ),
      (
        "3. L2 on the head", "SGD weight decay λ (the gradient gains λ·W)",
        c.training.weightDecay > 0 ? "yes: λ = \(c.training.weightDecay)" : "no (--weight-decay 0)"
      ),
      (
        "4. Other datasets, own loader",
        "CIFAR-100, MNIST, Fashion-MNIST, KMNIST, STL-10, image folders, CSVs",
        c.dataset == defaults.dataset
          ? "no: CIFAR-10"
          : "yes: \(c.dataset)\(c.dataset == "folder" ? " (our own folder/CSV loader)" : "")"
      ),
      (
        "5. Head structure", "any stack of Linear, ReLU, sigmoid, tanh and dropout",
        c.head == defaults.head
          ? "no: the provided head 32,dropout:0.5"
          : "yes: \(c.head.isEmpty ? "a single Linear" : c.head)"
      ),
      (
        "6. Augmentation and Gaussian blur",
        "crops, flips, our own Gaussian blur; K cached augmented copies",
        c.augment.map {
          "yes: \($0), \(c.augmentCopies) cached cop\(c.augmentCopies == 1 ? "y" : "ies")"
        }
          ?? "no (--augment not given)"
      ),
      (
        "7. Cached backbone features",
        "computed once per (weights, data, split, transform), reused",
        "yes: in \(c.featureCache)"
      ),
      (
        "8. Unfreezing the backbone", "train the whole network after the head, with its own rate",
        c.unfreezeEpochs > 0
          ? "yes: \(c.unfreezeEpochs) epoch(s) at lr \(c.backboneLearningRateText), batch norm \(c.backboneBatchNorm.rawValue)"
          : "no (--unfreeze-epochs 0)"
      ),
    ]
  }

  /// Observations, each conditional on what the run measured.
  var observations: [String] {
    var lines: [String] = []
    let c = configuration
    if let kept = keptEpoch {
      if let accuracy = kept.validationAccuracy {
        lines.append(
          "The model of epoch \(kept.epoch) is kept: its validation accuracy, \(Self.number(accuracy * 100)) %, "
            + "is the highest of the validated epochs (ties go to the lower validation loss).")
      } else {
        lines.append(
          "No validation images were held out, so the model of the last head epoch (\(kept.epoch)) is kept."
        )
      }
    }
    if let result {
      lines.append(
        "On the \(result.confusion.reduce(0) { $0 + $1.reduce(0, +) }) test images the kept model is right "
          + "\(Self.number(result.accuracy * 100)) % of the time (chance: \(Self.number(100 / Double(max(1, result.classNames.count)))) %)."
      )
      if let pair = mostConfused(result) {
        lines.append(
          "The most frequent confusion is \(pair.actual) taken for \(pair.predicted) (\(pair.count) images)."
        )
      }
    }
    let headEpochs = history.filter { $0.epoch <= c.training.epochs }
    let backboneEpochs = history.filter { $0.epoch > c.training.epochs }
    if c.unfreezeEpochs > 0, let before = headEpochs.last, let after = backboneEpochs.last {
      if let a = before.validationAccuracy, let b = after.validationAccuracy {
        let change = (b - a) * 100
        lines.append(
          "Unfreezing moved the validation accuracy from \(Self.number(a * 100)) % (last head epoch) to "
            + "\(Self.number(b * 100)) % (last unfrozen epoch): "
            + (abs(change) < 0.05
              ? "no measurable change." : "\(change > 0 ? "+" : "")\(Self.number(change)) points."))
      } else {
        lines.append(
          "Unfreezing moved the training accuracy from \(Self.number(before.trainAccuracy * 100)) % to "
            + "\(Self.number(after.trainAccuracy * 100)) %; without validation images its effect on unseen data is not measured."
        )
      }
    }
    if let kept = keptEpoch, let validation = kept.validationAccuracy {
      let gap = (kept.trainAccuracy - validation) * 100
      let regularised = [
        c.training.weightDecay > 0 ? "L2 (λ = \(c.training.weightDecay))" : nil,
        c.augment != nil
          ? "augmentation (\(c.augmentCopies) cached cop\(c.augmentCopies == 1 ? "y" : "ies"))"
          : nil,
      ].compactMap { $0 }
      let gapText =
        abs(gap) < 0.005
        ? "the training accuracy (with dropout active) equalled the validation accuracy"
        : gap > 0
          ? "the training accuracy (with dropout active) was \(Self.number(gap)) points above the validation accuracy"
          : "the validation accuracy was \(Self.number(-gap)) points above the training accuracy (measured with dropout active)"
      lines.append(
        "At the kept epoch \(gapText)"
          + (regularised.isEmpty
            ? "; no L2 or augmentation was used, so this run says nothing about their effect."
            : ", with \(regularised.joined(separator: " and ")) on; a run without them on the same data shows their effect.")
      )
    }
    if c.usesRandomWeights {
      lines.append(
        "The backbone had random weights, not ImageNet's: these numbers do not show transfer learning."
      )
    }
    return lines
  }

  func mostConfused(_ result: EvaluationResult) -> (actual: String, predicted: String, count: Int)?
  {
    var best: (Int, Int, Int)?
    for (actual, row) in result.confusion.enumerated() {
      for (predicted, count) in row.enumerated() where predicted != actual && count > 0 {
        if count > (best?.2 ?? 0) { best = (actual, predicted, count) }
      }
    }
    guard let best, best.0 < result.classNames.count, best.1 < result.classNames.count else {
      return nil
    }
    return (result.classNames[best.0], result.classNames[best.1], best.2)
  }

  /// The command that reproduces the run: every option that differs from the defaults.
  var command: String {
    let c = configuration
    let d = FineTuneConfiguration()
    var parts = ["classify finetune"]
    func add(_ option: String, _ value: String, _ isDefault: Bool) {
      if !isDefault { parts.append("--\(option) \(Self.shellQuoted(value))") }
    }
    add("dataset", c.dataset, c.dataset == d.dataset)
    add("root", c.root, false)
    add("weights", c.weights, c.weights == d.weights)
    if c.usesRandomWeights {
      add("depth", "\(c.depth)", c.depth == d.depth)
      add("base-width", "\(c.baseWidth)", c.baseWidth == d.baseWidth)
    }
    add("head", c.head, c.head == d.head)
    add("epochs", "\(c.training.epochs)", c.training.epochs == d.training.epochs)
    add("batch-size", "\(c.training.batchSize)", c.training.batchSize == d.training.batchSize)
    add(
      "learning-rate", "\(c.training.learningRate)",
      c.training.learningRate == d.training.learningRate)
    add("momentum", "\(c.training.momentum)", c.training.momentum == d.training.momentum)
    add(
      "weight-decay", "\(c.training.weightDecay)", c.training.weightDecay == d.training.weightDecay)
    add("validation", "\(c.validation)", c.validation == d.validation)
    add(
      "validate-every", "\(c.training.validateEvery)",
      c.training.validateEvery == d.training.validateEvery)
    add("resize", c.resize.map(String.init) ?? "", c.resize == nil)
    add("seed", "\(c.training.seed)", c.training.seed == d.training.seed)
    add("limit", c.limit.map(String.init) ?? "", c.limit == nil)
    add("test-limit", c.testLimit.map(String.init) ?? "", c.testLimit == nil)
    add("augment", c.augment ?? "", c.augment == nil)
    add("augment-copies", "\(c.augmentCopies)", c.augmentCopies == d.augmentCopies)
    add("unfreeze-epochs", "\(c.unfreezeEpochs)", c.unfreezeEpochs == d.unfreezeEpochs)
    add(
      "backbone-learning-rate", c.backboneLearningRate.map { "\($0)" } ?? "",
      c.backboneLearningRate == nil)
    add(
      "backbone-batch-norm", c.backboneBatchNorm.rawValue,
      c.backboneBatchNorm == d.backboneBatchNorm)
    add("precision", c.precision.rawValue, c.precision == d.precision)
    add("optimizer", c.training.optimizer.rawValue, c.training.optimizer == d.training.optimizer)
    add("schedule", c.training.schedule.rawValue, c.training.schedule == d.training.schedule)
    add("warmup", c.training.warmup.map { "\($0)" } ?? "", c.training.warmup == nil)
    add(
      "label-smoothing", "\(c.training.labelSmoothing)",
      c.training.labelSmoothing == d.training.labelSmoothing)
    add("patience", c.training.patience.map(String.init) ?? "", c.training.patience == nil)
    add(
      "class-weights", c.training.classWeights?.rawValue ?? "", c.training.classWeights == nil)
    add("test-fraction", "\(c.testFraction)", c.testFraction == d.testFraction)
    if c.tta { parts.append("--tta") }
    if c.discriminativeRates { parts.append("--discriminative-rates") }
    add("backbone-schedule", c.backboneSchedule.rawValue, c.backboneSchedule == d.backboneSchedule)
    add("feature-cache", c.featureCache, false)
    return parts.joined(separator: " ")
  }

  /// The HTML of the written part.
  var html: String {
    let table = Table(
      columns: [
        Table.Column("extension"), Table.Column("what classify does"), Table.Column("this run"),
      ],
      rows: extensions.map { [$0.0, $0.1, $0.2] }, caption: "What was implemented")
    return "<h3>What was implemented</h3>\n" + table.html() + "\n<h3>What was observed</h3>\n<ul>"
      + observations.map { "<li>\(escapeMarkup($0))</li>" }.joined() + "</ul>\n"
      + "<h3>Reproducing this run</h3>\n<pre>\(escapeMarkup(command))</pre>\n"
  }

  /// Plain text for the terminal.
  var text: String {
    "What was observed:\n" + observations.map { "  - " + $0 }.joined(separator: "\n")
      + "\nReproduce with:\n  \(command)\n"
  }

  /// `P4-README.md`: what was implemented, what each part of the code does, how to run it, and
  /// where the figures and tables are.
  var readme: String {
    var text = """
      # Problem 4 — fine-tuning ResNet-50 (classify)

      This part is implemented by `classify finetune`, a native Swift command (no Python): a
      torchvision-identical ResNet-50 with torchvision's ImageNet weights, its `fc` replaced by a
      new head trained on cached backbone features, optionally unfrozen afterwards.

      ## How to run it

      ```sh
      \(command)
      classify report          # this report, with Part 4 from the newest finished run
      ```

      ## What was implemented

      | extension | what classify does | this run |
      |---|---|---|

      """
    for (name, does, used) in extensions { text += "| \(name) | \(does) | \(used) |\n" }
    text += """

      ## What each part of the code does

      | file (Sources/Experiments/FineTune/) | what it does |
      |---|---|
      | `FineTuneConfiguration.swift` | every option of a run, validated; `config.json` |
      | `FineTuneInputs.swift` | opens the dataset, the validation split, the backbone and the feature jobs |
      | `FeatureCache.swift`, `DatasetFingerprint.swift` | the cached backbone features, keyed by weights, data content and transform (extension 7) |
      | `HeadSpecification.swift` | the head grammar (extension 5) |
      | `HeadTrainer.swift` | the resumable SGD loop with validation and best-model keeping (extensions 2, 3) |
      | `FineTuneRun.swift`, `FineTuneRun+Backbone.swift` | the whole pipeline, and unfreezing (extension 8) |
      | `FineTuneRun+Results.swift`, `ResultsPage*.swift` | test evaluation and the HTML results page (extension 1) |
      | `Sources/Vision/Transforms/` | augmentation and our Gaussian blur (extension 6) |
      | `Sources/Vision/Datasets/` | CIFAR, MNIST family, STL-10, image folders and CSVs (extension 4) |

      ## Figures and tables in the report

      Part 4 of `report.pdf` / `index.html`: the configuration, the metrics per epoch, the training
      curves (`finetune_curves.png`), the test accuracy, per-class accuracy and the confusion
      matrix, and sheets of test images with their top-3 scores (the most confident mistakes and a
      seeded sample). Every test image is on `finetune_results.html`.

      ## What was observed


      """
    text += observations.map { "- " + $0 }.joined(separator: "\n") + "\n"
    return text
  }

  /// A number with at most two decimals and no trailing zeros (`61.5`, `0.25`, `3`).
  static func number(_ value: Double) -> String {
    if abs(value) < 0.005 { return "0" }
    var text = String(format: "%.2f", value)
    while text.contains("."), text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
  }

  /// `value` as one shell word.
  static func shellQuoted(_ value: String) -> String {
    let safe = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_./:=,+@%"))
    if !value.isEmpty, value.unicodeScalars.allSatisfy({ safe.contains($0) }) { return value }
    return "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}
