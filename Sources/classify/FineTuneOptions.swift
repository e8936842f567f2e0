import ArgumentParser
import Experiments
import Foundation
import NN
import TensorCore
import Vision

/// The options that define a fine-tuning run (shared by `finetune` and `features`).
struct FineTuneOptions: ParsableArguments {
  @Option(help: "Dataset: \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")).")
  var dataset: String = "cifar10"

  @Option(help: "The dataset's folder (as for `classify data`).")
  var root: String = "data/cifar10"

  @Option(
    help:
      "Backbone weights: a model name (resnet50:v1 = the provided code's pretrained=True, resnet50:v2), a .pth/.safetensors file, or random."
  )
  var weights: String = "resnet50:v1"

  @Option(
    parsing: .unconditional, help: "ResNet depth for --weights random (18, 34, 50, 101, 152).")
  var depth: Int = 50

  @Option(
    parsing: .unconditional, help: "ResNet base width for --weights random (64 is torchvision's).")
  var baseWidth: Int = 64

  @Option(help: ArgumentHelp("The head's layers.", discussion: HeadSpecification.grammar))
  var head: String = HeadSpecification.assignment.description

  @Option(parsing: .unconditional, help: "Head-only epochs on the cached features.")
  var epochs: Int = 10

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Images per SGD batch (the head's; the backbone's too when unfrozen); 4 in the provided code.",
      discussion:
        "Feature extraction batches by image size instead (128 at 32×32, 16 at 224×224): the cached features do not depend on this option."
    ))
  var batchSize: Int = 64

  @Option(parsing: .unconditional, help: "The head's SGD learning rate.")
  var learningRate: Float = 0.001

  @Option(parsing: .unconditional, help: "SGD momentum.")
  var momentum: Float = 0.9

  @Option(
    parsing: .unconditional,
    help:
      "L2 on the head, as SGD weight decay λ: the gradient gains λ·W, i.e. the penalty (λ/2)‖W‖²."
  )
  var weightDecay: Float = 0

  @Option(parsing: .unconditional, help: "Fraction of the training images held out for validation.")
  var validation: Double = 0.1

  @Option(
    parsing: .unconditional,
    help: "Validate every this many epochs (and after the last); the best model is kept.")
  var validateEvery: Int = 1

  @Option(
    parsing: .unconditional,
    help:
      "Resize the shorter side to this and crop the centre square before normalising (224 as the provided code; needed for images of mixed sizes)."
  )
  var resize: Int?

  @Option(
    parsing: .unconditional,
    help: "Seed of the split, head initialisation, dropout, shuffling and augmentation.")
  var seed: UInt64 = 0

  @Option(
    help:
      "sgd (the assignment's: momentum, --weight-decay an L2 penalty on the gradient) or adamw (PyTorch's AdamW: β = 0.9, 0.999, --weight-decay decoupled)."
  )
  var optimizer: OptimizerKind = .sgd

  @Option(
    parsing: .unconditional,
    help:
      "For --dataset folder without train/ and val/ sub-folders (or a CSV): the fraction of the images held out, by seed, as the test split."
  )
  var testFraction: Double = 0.2

  @Flag(
    help:
      "Once unfrozen, train the stem and the four stages at rates spaced geometrically from --backbone-learning-rate up to the head's (fastai's slice(lo, hi))."
  )
  var discriminativeRates = false

  @Option(
    help:
      "How the rates move, batch by batch, over the unfrozen epochs: constant, cosine or one-cycle (each group from its own rate)."
  )
  var backboneSchedule: LearningRateSchedule = .constant

  @Option(
    help:
      "balanced: weigh each class in the training loss by N / (classes · its count) (scikit-learn's class_weight=\"balanced\"), for imbalanced folders."
  )
  var classWeights: ClassWeighting?

  @Flag(
    help:
      "Test-time augmentation: also classify every test image mirrored and average the two predictions (the results give the accuracy with and without)."
  )
  var tta = false

  @Option(
    parsing: .unconditional,
    help:
      "Early stopping: end the head epochs once the validation loss has not improved for N validations in a row (the best model is kept either way)."
  )
  var patience: Int?

  @Option(
    help:
      "How the head's learning rate moves, batch by batch: constant, cosine (linear warm-up, then cosine to 0: PyTorch's LinearLR + CosineAnnealingLR) or one-cycle (PyTorch's OneCycleLR with --learning-rate as max_lr)."
  )
  var schedule: LearningRateSchedule = .constant

  @Option(
    parsing: .unconditional,
    help: "The schedule's warm-up fraction of the steps (default 0 for cosine, 0.3 for one-cycle).")
  var warmup: Double?

  @Option(
    parsing: .unconditional,
    help:
      "Label smoothing ε of the training loss, as PyTorch's CrossEntropyLoss(label_smoothing=ε): the target is (1 − ε)·one-hot + ε/classes. Validation and test losses stay plain cross-entropy."
  )
  var labelSmoothing: Float = 0

  @Option(
    help:
      "What the frozen backbone computes features in: fp32 (exact) or bf16 (on CPUs with AVX512-BF16: up to twice as fast, depending on the CPU, with the backbone's weights in half the memory; features within ~1 %; fp32, with a note, elsewhere). Training is fp32."
  )
  var precision: Precision = .fp32

  @Option(parsing: .unconditional, help: "Use only the first N training images (quick runs).")
  var limit: Int?

  @Option(parsing: .unconditional, help: "Use only the first N test images (quick runs).")
  var testLimit: Int?

  @Option(
    help: ArgumentHelp(
      "Training augmentation, e.g. \"\(TransformPipeline.example)\".",
      discussion: TransformPipeline.grammar))
  var augment: String?

  @Option(
    parsing: .unconditional,
    help:
      "With --augment: augmented copies of the training features to cache; epoch e trains on copy (e−1) mod K."
  )
  var augmentCopies: Int = 1

  @Option(
    parsing: .unconditional,
    help: "After the head epochs, train the whole network for this many epochs.")
  var unfreezeEpochs: Int = 0

  @Option(
    parsing: .unconditional,
    help: "The backbone's learning rate when unfrozen (default: a tenth of the head's).")
  var backboneLearningRate: Float?

  @Option(
    help:
      "Batch norm when unfrozen: frozen (running statistics, γ/β fixed) or train (batch statistics)."
  )
  var backboneBatchNorm: FineTuneConfiguration.BackboneBatchNorm = .frozen

  @Option(help: "Folder of cached backbone features, reused across runs.")
  var featureCache: String = "runs/feature-cache"

  /// The run's configuration, validated.
  func configuration() throws -> FineTuneConfiguration {
    var configuration = FineTuneConfiguration()
    configuration.dataset = dataset
    configuration.root = root
    configuration.weights = weights
    configuration.depth = depth
    configuration.baseWidth = baseWidth
    configuration.head = head
    configuration.training.epochs = epochs
    configuration.training.batchSize = batchSize
    configuration.training.learningRate = learningRate
    configuration.training.momentum = momentum
    configuration.training.weightDecay = weightDecay
    configuration.validation = validation
    configuration.training.validateEvery = validateEvery
    configuration.resize = resize
    configuration.training.seed = seed
    configuration.precision = precision
    configuration.training.labelSmoothing = labelSmoothing
    configuration.training.optimizer = optimizer
    configuration.training.schedule = schedule
    configuration.training.warmup = warmup
    configuration.training.patience = patience
    configuration.tta = tta
    configuration.training.classWeights = classWeights
    configuration.testFraction = testFraction
    configuration.discriminativeRates = discriminativeRates
    configuration.backboneSchedule = backboneSchedule
    configuration.limit = limit
    configuration.testLimit = testLimit
    configuration.augment = augment
    configuration.augmentCopies = augmentCopies
    configuration.unfreezeEpochs = unfreezeEpochs
    configuration.backboneLearningRate = backboneLearningRate
    configuration.backboneBatchNorm = backboneBatchNorm
    configuration.featureCache = featureCache
    do { try configuration.validate() } catch { throw ValidationError(error.description) }
    return configuration
  }
}

extension FineTuneConfiguration.BackboneBatchNorm: ExpressibleByArgument {}

extension Precision: ExpressibleByArgument {}

extension OptimizerKind: ExpressibleByArgument {}

extension LearningRateSchedule: ExpressibleByArgument {}

extension ClassWeighting: ExpressibleByArgument {}
