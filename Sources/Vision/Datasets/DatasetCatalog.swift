import Foundation

/// The datasets classify reads, by their command-line names.
public enum DatasetKind: String, Sendable, CaseIterable {
  /// CIFAR-10.
  case cifar10
  /// CIFAR-100.
  case cifar100
  /// MNIST digits.
  case mnist
  /// Zalando's Fashion-MNIST.
  case fashionMNIST = "fashion-mnist"
  /// Kuzushiji-MNIST.
  case kmnist
  /// STL-10 (binary layout).
  case stl10
  /// A folder of class folders, or a CSV of `path,label`.
  case folder
}

/// One file torchvision downloads: where from, under which name, with which MD5.
public struct RemoteDatasetFile: Sendable, Equatable {
  /// The official URL torchvision fetches.
  public let url: URL
  /// Path of the downloaded file relative to the dataset root (`cifar-10-python.tar.gz`,
  /// `MNIST/raw/train-images-idx3-ubyte.gz`).
  public let path: String
  /// torchvision's MD5 of the file.
  public let md5: String
  /// Whether the file is a `.tar.gz` to unpack into the root (CIFAR, STL-10) rather than a
  /// `.gz` read as is (MNIST family).
  public let isTarball: Bool
  /// The file's size in bytes on the official servers.
  public let byteCount: Int64

  /// The most bytes a download of this file may bring: its size plus 1 % (at least 1 MiB) of
  /// slack. A server that sends more is cut off there, so an endless body cannot fill the disk.
  public var maximumBytes: Int64 { byteCount + max(1 << 20, byteCount / 100) }
}

/// What classify knows about a dataset: torchvision's URLs and MD5s, and the files of its
/// layout with their MD5s (checked by `classify data inspect`).
///
/// URLs, file names and MD5s are copied from torchvision's `datasets/cifar.py`, `mnist.py` and
/// `stl10.py` (`url`, `tgz_md5`, `train_list`, `test_list`, `meta`, `mirrors`, `resources`).
public struct DatasetCatalogEntry: Sendable {
  /// The dataset.
  public let kind: DatasetKind
  /// Human name (`CIFAR-10`).
  public let displayName: String
  /// What `--download` fetches.
  public let downloads: [RemoteDatasetFile]
  /// Files of the extracted layout (relative to the root) with torchvision's MD5s.
  public let knownFiles: [(path: String, md5: String)]

  /// How to get the dataset by hand: the URLs and where to put or unpack them under `root`.
  public func offlineHint(root: URL) -> String {
    if downloads.isEmpty { return "point --root at a folder of class folders or a CSV file" }
    let steps = downloads.map { file in
      file.isTarball
        ? "fetch \(file.url.absoluteString) (md5 \(file.md5)) and unpack it in \(root.path) "
          + "(tar -xzf \(file.path) -C \(root.path))"
        : "fetch \(file.url.absoluteString) (md5 \(file.md5)) to \(root.appendingPathComponent(file.path).path)"
    }
    return "Pass --download to fetch it, or " + steps.joined(separator: "; ")
  }

  /// The folder (relative to the root) an IDX dataset's files live in.
  var rawFolder: String? {
    switch kind {
    case .mnist: "MNIST/raw"
    case .fashionMNIST: "FashionMNIST/raw"
    case .kmnist: "KMNIST/raw"
    default: nil
    }
  }
}

/// The catalog of `DatasetCatalogEntry`s.
public enum DatasetCatalog {
  /// The entry for `kind`.
  public static func entry(for kind: DatasetKind) -> DatasetCatalogEntry {
    switch kind {
    case .cifar10: cifar10
    case .cifar100: cifar100
    case .mnist:
      idx(
        kind, "MNIST", base: "https://ossci-datasets.s3.amazonaws.com/mnist/", mnistMD5,
        mnistBytes)
    case .fashionMNIST:
      idx(
        kind, "FashionMNIST", base: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        fashionMD5, fashionBytes)
    case .kmnist:
      idx(
        kind, "KMNIST", base: "http://codh.rois.ac.jp/kmnist/dataset/kmnist/", kmnistMD5,
        kmnistBytes)
    case .stl10: stl10
    case .folder:
      DatasetCatalogEntry(kind: .folder, displayName: "image folder", downloads: [], knownFiles: [])
    }
  }

  static let cifar10 = DatasetCatalogEntry(
    kind: .cifar10, displayName: "CIFAR-10",
    downloads: [
      tarball(
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        md5: "c58f30108f718f92721af3b95e74349a", bytes: 170_498_071)
    ],
    knownFiles: [
      ("cifar-10-batches-py/data_batch_1", "c99cafc152244af753f735de768cd75f"),
      ("cifar-10-batches-py/data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"),
      ("cifar-10-batches-py/data_batch_3", "54ebc095f3ab1f0389bbae665268c751"),
      ("cifar-10-batches-py/data_batch_4", "634d18415352ddfa80567beed471001a"),
      ("cifar-10-batches-py/data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"),
      ("cifar-10-batches-py/test_batch", "40351d587109b95175f43aff81a1287e"),
      ("cifar-10-batches-py/batches.meta", "5ff9c542aee3614f3951f8cda6e48888"),
      ("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a"),
    ])

  static let cifar100 = DatasetCatalogEntry(
    kind: .cifar100, displayName: "CIFAR-100",
    downloads: [
      tarball(
        "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
        md5: "eb9058c3a382ffc7106e4002c42a8d85", bytes: 169_001_437)
    ],
    knownFiles: [
      ("cifar-100-python/train", "16019d7e3df5f24257cddd939b257f8d"),
      ("cifar-100-python/test", "f0ef6b0ae62326f3e7ffdfab6717acfc"),
      ("cifar-100-python/meta", "7973b15100ade9c7d40fb424638fde48"),
      ("cifar-100-python.tar.gz", "eb9058c3a382ffc7106e4002c42a8d85"),
    ])

  static let stl10 = DatasetCatalogEntry(
    kind: .stl10, displayName: "STL-10",
    downloads: [
      tarball(
        "http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz",
        md5: "91f7769df0f17e558f3565bffb0c7dfb", bytes: 2_640_397_119)
    ],
    knownFiles: [
      ("stl10_binary/train_X.bin", "918c2871b30a85fa023e0c44e0bee87f"),
      ("stl10_binary/train_y.bin", "5a34089d4802c674881badbb80307741"),
      ("stl10_binary/unlabeled_X.bin", "5242ba1fed5e4be9e1e742405eb56ca4"),
      ("stl10_binary/test_X.bin", "7f263ba9f9e0b06b93213547f721ac82"),
      ("stl10_binary/test_y.bin", "36f9794fa4beb8a2c72628de14fa638e"),
      ("stl10_binary.tar.gz", "91f7769df0f17e558f3565bffb0c7dfb"),
    ])

  /// The four IDX file names, train images first (torchvision's `resources` order).
  static let idxFiles = [
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
  ]
  /// Sizes in bytes of the four `.gz` files, in `idxFiles` order.
  static let mnistBytes: [Int64] = [9_912_422, 28_881, 1_648_877, 4_542]
  static let fashionBytes: [Int64] = [26_421_880, 29_515, 4_422_102, 5_148]
  static let kmnistBytes: [Int64] = [18_165_135, 29_497, 3_041_136, 5_120]
  static let mnistMD5 = [
    "f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
    "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c",
  ]
  static let fashionMD5 = [
    "8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
    "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310",
  ]
  static let kmnistMD5 = [
    "bdb82020997e1d708af4cf47b453dcf7", "e144d726b3acfaa3e44228e80efcd344",
    "5c965bf0a639b31b8f53240b1b52f4d7", "7320c461ea6c1c855c0b718fb2a4b134",
  ]

  private static func tarball(_ url: String, md5: String, bytes: Int64) -> RemoteDatasetFile {
    let parsed = URL(string: url) ?? URL(fileURLWithPath: "/")
    return RemoteDatasetFile(
      url: parsed, path: parsed.lastPathComponent, md5: md5, isTarball: true, byteCount: bytes)
  }

  private static func idx(
    _ kind: DatasetKind, _ folder: String, base: String, _ md5s: [String], _ sizes: [Int64]
  ) -> DatasetCatalogEntry {
    let files = zip(idxFiles, zip(md5s, sizes)).map { name, file in
      RemoteDatasetFile(
        url: URL(string: base + name + ".gz") ?? URL(fileURLWithPath: "/"),
        path: "\(folder)/raw/\(name).gz", md5: file.0, isTarball: false, byteCount: file.1)
    }
    let names = [
      DatasetKind.mnist: "MNIST", .fashionMNIST: "Fashion-MNIST", .kmnist: "KMNIST",
    ]
    return DatasetCatalogEntry(
      kind: kind, displayName: names[kind] ?? folder, downloads: files,
      knownFiles: files.map { ($0.path, $0.md5) })
  }
}
