import NN
import TensorCore

/// Computer-vision building blocks: ResNet, checkpoints, datasets and transforms.
public enum Vision {
  /// ImageNet's per-channel mean, the normalisation torchvision's pretrained models expect.
  public static let imageNetMean: [Float] = [0.485, 0.456, 0.406]
  /// ImageNet's per-channel standard deviation.
  public static let imageNetStandardDeviation: [Float] = [0.229, 0.224, 0.225]
}
