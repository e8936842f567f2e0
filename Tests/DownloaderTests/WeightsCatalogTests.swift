import Foundation
import Testing

@testable import Downloader

@Suite("WeightsCatalog")
struct WeightsCatalogTests {
  /// torchvision/models/resnet.py, `ResNet*_Weights.IMAGENET1K_V{1,2}.url` and
  /// `meta["_metrics"]["ImageNet-1K"]["acc@1"]`, copied by hand from torchvision's source.
  private let expected: [(String, WeightsVariant, String, Double)] = [
    ("resnet18", .v1, "https://download.pytorch.org/models/resnet18-f37072fd.pth", 69.758),
    ("resnet34", .v1, "https://download.pytorch.org/models/resnet34-b627a593.pth", 73.314),
    ("resnet50", .v1, "https://download.pytorch.org/models/resnet50-0676ba61.pth", 76.130),
    ("resnet50", .v2, "https://download.pytorch.org/models/resnet50-11ad3fa6.pth", 80.858),
    ("resnet101", .v1, "https://download.pytorch.org/models/resnet101-63fe2227.pth", 77.374),
    ("resnet101", .v2, "https://download.pytorch.org/models/resnet101-cd907fc2.pth", 81.886),
    ("resnet152", .v1, "https://download.pytorch.org/models/resnet152-394f9c45.pth", 78.312),
    ("resnet152", .v2, "https://download.pytorch.org/models/resnet152-f82ba261.pth", 82.284),
  ]

  @Test("Every torchvision ResNet checkpoint, with its URL and acc@1")
  func entries() throws {
    #expect(WeightsCatalog.all.count == expected.count)
    for (model, variant, url, top1) in expected {
      let weights = try WeightsCatalog.weights(model: model, variant: variant)
      #expect(weights.url.absoluteString == url)
      #expect(weights.top1Accuracy == top1)
      #expect(weights.fileName == URL(string: url)?.lastPathComponent)
    }
    #expect(
      WeightsCatalog.models == ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"])
  }

  @Test("The SHA-256 prefix comes from the file name")
  func checksum() throws {
    let weights = try WeightsCatalog.weights(model: "resnet50", variant: .v1)
    #expect(weights.sha256Prefix == "0676ba61")
    #expect(weights.checksum == .sha256Prefix("0676ba61"))
    #expect(weights.torchvisionName == "ResNet50_Weights.IMAGENET1K_V1")
    #expect(try WeightsCatalog.weights(model: "ResNet-50", variant: .v2).sha256Prefix == "11ad3fa6")
  }

  @Test("Without a variant: v1 for every model, the weights finetune's default resnet50:v1 needs")
  func defaults() throws {
    for model in WeightsCatalog.models {
      #expect(try WeightsCatalog.weights(model: model).variant == .v1)
    }
    #expect(try WeightsCatalog.weights(model: "resnet50").fileName == "resnet50-0676ba61.pth")
  }

  @Test("Each checkpoint's download cap is its listed size plus 1 MiB")
  func caps() throws {
    let resnet50 = try WeightsCatalog.weights(model: "resnet50", variant: .v1)
    // torchvision's _file_size 97.781 MB (MiB); the real file is 102,530,333 bytes.
    #expect(resnet50.maximumBytes > 102_530_333)
    #expect(resnet50.maximumBytes < 102_530_333 + 2 * 1_048_576)
  }

  @Test("Unknown models and missing variants throw errors listing what exists")
  func errors() {
    #expect(throws: WeightsCatalogError.unknownModel("vgg16", known: WeightsCatalog.models)) {
      try WeightsCatalog.weights(model: "vgg16")
    }
    let error = #expect(throws: WeightsCatalogError.self) {
      try WeightsCatalog.weights(model: "resnet18", variant: .v2)
    }
    #expect(error?.description.contains("available: v1") == true)
  }

  @Test("Cached files live in <cache>/weights/<file name>")
  func cachedFile() throws {
    let cache = CacheDirectory(root: URL(fileURLWithPath: "/tmp/cache"))
    let weights = try WeightsCatalog.weights(model: "resnet34")
    #expect(weights.cachedFile(in: cache).path == "/tmp/cache/weights/resnet34-b627a593.pth")
  }
}
