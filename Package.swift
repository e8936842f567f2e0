// swift-tools-version:6.0
// classify: classification and deep learning in native Swift, end to end.
import PackageDescription

let package = Package(
  name: "classify",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "classify", targets: ["classify"]),
    .library(
      name: "ClassifyKit",
      targets: [
        "TensorCore", "NN", "Checkpoints", "ImageCodecs", "Vision", "Plotting", "Typesetting",
        "Experiments",
      ]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    // Tests only: a loopback HTTP server for the downloader's tests.
    .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.0"),
  ],
  targets: [
    // BLAS binding: OpenBLAS through pkg-config on Linux; Kernels uses Accelerate on Apple platforms.
    .systemLibrary(
      name: "CBLAS",
      pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]
    ),
    // librsvg + cairo, used only to rasterize our SVG figures to PNG.
    .systemLibrary(
      name: "CLibRSVG",
      pkgConfig: "librsvg-2.0",
      providers: [.apt(["librsvg2-dev"]), .brew(["librsvg"])]
    ),
    // A ten-line C shim so that Swift never touches cairo/rsvg pointers.
    .target(name: "CSVGRaster", dependencies: ["CLibRSVG"]),
    // The kernels' C runtime: a fork-join thread pool (pthreads + C11 atomics) and the
    // allocator policy (mallopt).
    .target(name: "CKernelSupport", linkerSettings: [.linkedLibrary("z")]),
    // Safe file access for every reader and writer: regular files only, atomic writes.
    .target(name: "FileSafety"),
    // The only Swift target with unsafe pointers and BLAS calls.
    .target(
      name: "Kernels",
      dependencies: [
        "CKernelSupport", .target(name: "CBLAS", condition: .when(platforms: [.linux])),
      ],
      swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
    ),
    .target(name: "TensorCore", dependencies: ["Kernels"]),
    .target(name: "NN", dependencies: ["TensorCore", "Kernels"]),
    // Checkpoint formats: safetensors, the allow-list unpickler and torch.save's .pth zip.
    .target(
      name: "Checkpoints",
      dependencies: [
        "NN", "TensorCore", "Kernels", "FileSafety",
        .product(name: "ZIPFoundation", package: "ZIPFoundation"),
      ]),
    .target(name: "Plotting", dependencies: ["CSVGRaster", "FileSafety"]),
    // Pango + cairo (with its PDF surface) for typesetting the report as a PDF.
    .systemLibrary(
      name: "CPangoCairo",
      pkgConfig: "pangocairo",
      providers: [.apt(["libpango1.0-dev"]), .brew(["pango"])]
    ),
    // A C shim over cairo's PDF surface, Pango layout and librsvg: an opaque document handle,
    // so Swift holds no pointers.
    .target(name: "CTypesetting", dependencies: ["CPangoCairo", "CLibRSVG"]),
    // The report as a PDF: HTML-fragment parser, document model, paginating renderer.
    .target(name: "Typesetting", dependencies: ["CTypesetting", "FileSafety"]),
    // libpng + libjpeg-turbo behind a C shim; ImageCodecs is the Swift face (no pointers).
    .systemLibrary(
      name: "CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
    .systemLibrary(
      name: "CLibJPEG", pkgConfig: "libjpeg",
      providers: [.apt(["libjpeg-dev"]), .brew(["jpeg-turbo"])]),
    .target(name: "CImageCodecs", dependencies: ["CLibPNG", "CLibJPEG"]),
    .target(name: "ImageCodecs", dependencies: ["CImageCodecs", "FileSafety"]),
    // libarchive (gzip and tar) behind a C shim with opaque handles: Swift holds no libarchive
    // pointers. zlib (a dependency of libarchive and libpng) supplies the CRC-32 of the gzip
    // trailer, which libarchive leaves unchecked.
    .systemLibrary(
      name: "CLibArchive", pkgConfig: "libarchive",
      providers: [.apt(["libarchive-dev"]), .brew(["libarchive"])]),
    .target(
      name: "CArchiveShim", dependencies: ["CLibArchive"], linkerSettings: [.linkedLibrary("z")]),
    // Resumable, verified HTTP downloads with progress (weights and datasets).
    .target(
      name: "Downloader",
      dependencies: ["FileSafety", .product(name: "Crypto", package: "swift-crypto")]),
    .target(
      name: "Vision",
      dependencies: [
        "NN", "Checkpoints", "TensorCore", "ImageCodecs", "Downloader", "FileSafety",
        "CArchiveShim",
      ]),
    .target(
      name: "Experiments",
      dependencies: [
        "Kernels", "TensorCore", "NN", "Checkpoints", "Plotting", "ImageCodecs", "Downloader",
        "Vision", "Typesetting", "FileSafety",
        .product(name: "Crypto", package: "swift-crypto"),
      ]),
    .executableTarget(
      name: "classify",
      dependencies: [
        "Experiments", "NN", "Checkpoints", "TensorCore", "Vision", "Downloader",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(
      name: "Benchmarks",
      dependencies: ["Kernels", "TensorCore", "NN", "Checkpoints", "Vision", "Experiments"]),
    .target(name: "TestSupport", dependencies: ["TensorCore"], path: "Tests/TestSupport"),
    .target(
      name: "LoopbackSupport", dependencies: [.product(name: "FlyingFox", package: "FlyingFox")],
      path: "Tests/LoopbackSupport"),
    .testTarget(name: "KernelsTests", dependencies: ["Kernels", "TestSupport"]),
    .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"]),
    .testTarget(
      name: "NNTests", dependencies: ["NN", "Checkpoints", "TensorCore", "TestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(name: "PlottingTests", dependencies: ["Plotting", "TestSupport"]),
    .testTarget(name: "TypesettingTests", dependencies: ["Typesetting", "TestSupport"]),
    .testTarget(
      name: "DownloaderTests",
      dependencies: [
        "Downloader", "Vision", "LoopbackSupport",
        .product(name: "FlyingFox", package: "FlyingFox"),
      ]),
    .testTarget(
      name: "ImageCodecsTests", dependencies: ["ImageCodecs", "FileSafety", "TestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(
      name: "VisionTests",
      dependencies: [
        "Vision", "NN", "Checkpoints", "TensorCore", "Downloader", "FileSafety", "TestSupport",
      ],
      resources: [.copy("Fixtures")]),
    .testTarget(
      name: "ExperimentsTests", dependencies: ["Experiments", "Checkpoints", "TestSupport"],
      resources: [.copy("Fixtures")]),
  ]
)
