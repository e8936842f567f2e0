import Foundation
import TensorCore

@testable import Experiments

/// Writes a CIFAR-10 binary dataset (`cifar-10-batches-bin`, the real file format) whose classes
/// are easy: class `c` of the first four is a noisy image of one colour, so a head on random
/// backbone features beats chance by far.
func writeColourCIFAR(to root: URL, perTrainBatch: Int = 24, testCount: Int = 40) throws {
  let folder = root.appendingPathComponent("cifar-10-batches-bin")
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  let colours: [[Float]] = [[220, 40, 40], [40, 200, 60], [50, 60, 220], [128, 128, 128]]
  var generator = SeededGenerator(seed: 11)
  func records(_ count: Int) -> Data {
    var data = Data()
    for index in 0..<count {
      let label = index % colours.count
      data.append(UInt8(label))
      for channel in 0..<3 {
        for _ in 0..<1024 {
          let value = colours[label][channel] + 40 * generator.nextNormal()
          data.append(UInt8(max(0, min(255, value.rounded()))))
        }
      }
    }
    return data
  }
  for batch in 1...5 {
    try records(perTrainBatch).write(to: folder.appendingPathComponent("data_batch_\(batch).bin"))
  }
  try records(testCount).write(to: folder.appendingPathComponent("test_batch.bin"))
  let names = "red\ngreen\nblue\ngray\ncat\ndeer\ndog\nfrog\nhorse\nship\n"
  try Data(names.utf8).write(to: folder.appendingPathComponent("batches.meta.txt"))
}

func temporaryFolder() throws -> URL {
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
    "classify-run-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  return folder
}

/// A small, fast configuration on the colour data under `folder/data`: a random ResNet-18 of
/// width 8, a 16-unit head, 5 epochs.
func smallConfiguration(in folder: URL) -> FineTuneConfiguration {
  var configuration = FineTuneConfiguration()
  configuration.root = folder.appendingPathComponent("data").path
  configuration.weights = "random"
  configuration.depth = 18
  configuration.baseWidth = 8
  configuration.head = "16,relu,dropout:0.1"
  configuration.training.epochs = 5
  configuration.training.batchSize = 16
  configuration.training.learningRate = 0.5
  configuration.validation = 0.2
  configuration.training.validateEvery = 2
  configuration.training.seed = 3
  configuration.featureCache = folder.appendingPathComponent("cache").path
  return configuration
}
