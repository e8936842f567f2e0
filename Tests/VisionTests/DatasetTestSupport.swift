import Foundation
import Testing

/// `Fixtures/datasets/<name>` (written by scripts/fixtures/make_dataset_fixtures.py).
func datasetFixture(_ name: String) throws -> URL {
  try #require(Bundle.module.resourceURL)
    .appendingPathComponent("Fixtures/datasets/\(name)", isDirectory: true)
}

/// A fresh temporary folder holding a copy of fixture `name` (for corrupting files).
func corruptibleCopy(of name: String) throws -> URL {
  let folder = FileManager.default.temporaryDirectory
    .appendingPathComponent("classify-dataset-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  let copy = folder.appendingPathComponent(name, isDirectory: true)
  try FileManager.default.copyItem(at: try datasetFixture(name), to: copy)
  return copy
}
