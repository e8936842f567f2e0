import Testing

@testable import Vision

@Suite("ImageNet class names")
struct ImageNetClassesTests {
  /// c = torchvision.models.ResNet50_Weights.IMAGENET1K_V1.meta["categories"]
  /// len(c) == 1000; c[0], c[1], c[207], c[999] == "tench", "goldfish", "golden retriever",
  /// "toilet tissue"
  @Test("1000 names in torchvision's order")
  func names() {
    #expect(Vision.imageNetClasses.count == 1000)
    #expect(Vision.imageNetClasses[0] == "tench")
    #expect(Vision.imageNetClasses[1] == "goldfish")
    #expect(Vision.imageNetClasses[207] == "golden retriever")
    #expect(Vision.imageNetClasses[999] == "toilet tissue")
    #expect(Set(Vision.imageNetClasses).count == 1000)
  }
}
