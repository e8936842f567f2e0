import Testing

@testable import Vision

@Suite("Vision constants")
struct VisionConstantsTests {
  @Test("ImageNet normalisation equals torchvision's transforms.Normalize arguments")
  func imageNetNormalization() {
    #expect(Vision.imageNetMean == [0.485, 0.456, 0.406])
    #expect(Vision.imageNetStandardDeviation == [0.229, 0.224, 0.225])
  }
}
