import Foundation
import ImageCodecs
import NN
import TensorCore
import Vision

extension FineTuneRun {
  /// Extension 8: after the head epochs, the whole network trains on images for
  /// `unfreezeEpochs` epochs, the backbone with its own (smaller) learning rate. With
  /// `backboneBatchNorm == .frozen` batch norm keeps its running statistics, γ and β; with
  /// `.train` it uses batch statistics and updates them, as `net.train()` does.
  ///
  /// Validation re-extracts the validation features with the current backbone; the best model
  /// (backbone and head) replaces `best.safetensors` when it beats the head-only one.
  func trainBackbone(
    head: Sequential, inputs: FineTuneInputs, state: inout TrainingProgress, resumingFrom: Bool
  ) throws -> TrainingOutcome {
    let settings = configuration
    let model = inputs.model
    guard !model.isFolded else {
      throw FineTuneError("internal: the backbone was folded, so it cannot be unfrozen")
    }
    // The backbone is every layer but the head; frozen batch norms keep γ and β.
    let backboneLayers = model.children.filter { $0.0 != "fc" }.flatMap { Self.layers(of: $0.1) }
    let batchNorms = backboneLayers.compactMap { $0 as? BatchNorm2d }
    let frozenNorms = settings.backboneBatchNorm == .frozen
    let trainable = { (layers: [any Layer]) in
      layers.filter { !(frozenNorms && $0 is BatchNorm2d) }.flatMap { $0.ownParameters.map(\.1) }
    }
    let backboneParameters = trainable(backboneLayers)
    // One backbone group at the backbone's rate, or (discriminative rates, fastai's slice) the
    // stem and each stage at rates spaced geometrically from it up to the head's.
    let (low, high) = (settings.effectiveBackboneLearningRate, settings.training.learningRate)
    var groups: [ParameterGroup]
    if settings.discriminativeRates {
      let stem = trainable([model.conv1] + (model.bn1.map { [$0] } ?? []))
      let stages = model.stages.map { trainable(Self.layers(of: $0)) }
      let parts = [stem] + stages
      groups = parts.enumerated().map { index, parameters in
        let fraction = Double(index) / Double(parts.count)
        let rate = Float(Double(low) * Foundation.pow(Double(high) / Double(low), fraction))
        return ParameterGroup(parameters, learningRate: rate, weightDecay: 0)
      }
    } else {
      groups = [ParameterGroup(backboneParameters, learningRate: low, weightDecay: 0)]
    }
    groups.append(ParameterGroup(head.parameters, learningRate: high))
    let baseRates = groups.map { $0.learningRate ?? high }
    let optimizer = HeadTrainer.makeOptimizer(groups, configuration: settings.training)
    if resumingFrom {
      try TrainingStateFile.restore(
        from: directory.appendingPathComponent(File.state),
        modules: [("head", head), ("backbone", model)], optimizers: [optimizer])
    }
    let source = SubsetImageSource(base: inputs.trainSet, indices: inputs.split.train)
    let classWeights = settings.training.classWeights?.weights(
      labels: inputs.split.train.map { inputs.trainSet.label(at: $0) },
      classCount: inputs.classNames.count)
    let loader = try DataLoader(
      source: source, batchSize: settings.training.batchSize, shuffle: true,
      seed: settings.training.seed,
      transform: (inputs.augmentedExtractor ?? inputs.extractor).pipeline, channels: 3)
    let lastEpoch = settings.training.epochs + settings.unfreezeEpochs
    var hooks = hooks(
      phase: "backbone", head: head, includesBackbone: true, optimizer: optimizer, inputs: inputs,
      rows: source.count)
    hooks.checkpoint = directory.appendingPathComponent(File.best)
    say(
      "unfreezing the backbone: \(backboneParameters.count) tensors at learning rate \(settings.backboneLearningRateText), batch norm \(settings.backboneBatchNorm.rawValue)"
    )

    while state.epoch <= lastEpoch {
      let epoch = state.epoch
      model.train()
      if frozenNorms { for norm in batchNorms { norm.eval() } }
      head.train()
      let batches = loader.epoch(epoch, startingAt: state.batch)
      while let batch = try batches.next() {
        HeadTrainer.reseedDropouts(
          in: head, seed: settings.training.seed, epoch: epoch, batch: state.batch)
        optimizer.zeroGradients()
        optimizer.schedule(
          settings.backboneSchedule,
          step: (epoch - settings.training.epochs - 1) * loader.batchCount + state.batch,
          totalSteps: settings.unfreezeEpochs * loader.batchCount,
          warmup: settings.backboneSchedule == .oneCycle ? 0.3 : 0, baseRates: baseRates)
        let (value, predictions) = HeadTrainer.lossAndGradients(
          labels: batch.labels, labelSmoothing: settings.training.labelSmoothing,
          classWeights: classWeights
        ) {
          model(batch.images)
        }
        guard value.isFinite else {
          throw HeadTrainingError.diverged(
            epoch: epoch, batch: state.batch + 1,
            checkpoint: state.best == nil ? nil : hooks.checkpoint, bestEpoch: state.best?.epoch)
        }
        optimizer.step()
        state.lossSum += Double(value) * Double(batch.count)
        state.correct += zip(predictions, batch.labels).filter { $0 == $1 }.count
        state.seen += batch.count
        state.batch += 1
        hooks.batchFinished(state.batch, loader.batchCount)
        if state.batch < loader.batchCount, hooks.shouldStop() {
          batches.cancel()
          try hooks.saveState(state)
          return .interrupted
        }
      }
      // Validation features come from the backbone as it is now.
      let validate = inputs.validationJob.map { job in
        {
          let extractor = FeatureExtractor(
            backbone: model, weightsFingerprint: "unfrozen", resize: settings.resize)
          let features = try extractor.extract(job.dataset, indices: job.indices)
          return HeadTrainer.evaluate(
            head, features: features.features, labels: features.labels,
            batchSize: settings.training.batchSize)
        }
      }
      try HeadTrainer.closeEpoch(
        head, state: &state, lastEpoch: lastEpoch, validateEvery: settings.training.validateEvery,
        validate: validate, hooks: hooks)
      if state.epoch <= lastEpoch, hooks.shouldStop() { return .interrupted }
    }
    model.eval()
    head.eval()
    return .finished
  }

  /// `layer` and all its descendants.
  static func layers(of layer: any Layer) -> [any Layer] {
    [layer] + layer.children.flatMap { layers(of: $0.1) }
  }
}
