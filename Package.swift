// swift-tools-version: 6.1
import PackageDescription

// `STYLEGAN_FUZZ=1` adds the libFuzzer driver (docs/Fuzzing.md). It only links with
// `-sanitize=fuzzer` (libFuzzer supplies `main`), so it is left out of every ordinary build.
let fuzzing = Context.environment["STYLEGAN_FUZZ"] == "1"

// Module layout and import direction: ../shared/docs/DESIGN.md ("Modules").
// Parsers (PickleReader, ONNXReader, FileFormats) see nothing above Tensors and ByteIO;
// only Runtime sees both the graph and the kernels.
let package = Package(
    name: "StyleGAN",
    products: [
        .library(name: "StyleGAN", targets: ["StyleGAN"]),
        .executable(name: "stylegan", targets: ["stylegan"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System C libraries; each shim header turns the macros Swift cannot import into functions.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CProtobufC", pkgConfig: "libprotobuf-c", providers: [.apt(["libprotobuf-c-dev"])]),
        // protoc-c output for Schemas/onnx.proto (scripts/regenerate-onnx.sh), committed.
        .target(name: "CONNXProto", dependencies: ["CProtobufC"]),

        .target(name: "Tensors"),
        .target(name: "ByteIO", dependencies: ["Tensors", "CZlib"]),
        .target(name: "LayerGraph", dependencies: ["Tensors"]),
        .target(name: "PickleReader", dependencies: ["Tensors", "ByteIO"]),
        .target(name: "ONNXReader", dependencies: ["Tensors", "ByteIO", "CProtobufC", "CONNXProto"]),
        .target(name: "Importers", dependencies: ["LayerGraph", "PickleReader", "ONNXReader"]),
        .target(name: "ModelFormat", dependencies: ["LayerGraph", "ByteIO"]),
        // Fast kernels: C with runtime AVX2/FMA dispatch (see Sources/CKernels/context.c).
        .target(name: "CKernels"),
        .target(name: "Kernels", dependencies: ["Tensors", "CKernels"]),
        .target(name: "Runtime", dependencies: ["LayerGraph", "Kernels", "ModelFormat"]),
        .target(name: "FileFormats", dependencies: ["Tensors", "ByteIO", "CZlib", "CHDF5"]),
        .target(name: "StyleGAN", dependencies: ["Importers", "ModelFormat", "Runtime", "FileFormats"]),
        .executableTarget(name: "stylegan", dependencies: [
            "StyleGAN", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Benchmarks (run with `swift run -c release NAME`; see Benchmarks/README.md).
        .executableTarget(name: "import-bench", dependencies: ["StyleGAN", "PickleReader"], path: "Benchmarks/ImportBench"),

        // Fuzz harness bodies: shared by the libFuzzer driver and FuzzRegressionTests.
        .target(name: "FuzzTargets", dependencies: ["PickleReader", "Importers", "ONNXReader", "ModelFormat", "Runtime", "FileFormats", "ByteIO"]),

        // Test targets: one per module plus end-to-end command-line tests.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TestSupport"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "TestSupport"]),
        .testTarget(name: "ByteIOTests", dependencies: ["ByteIO", "TestSupport"]),
        .testTarget(name: "FileFormatsTests", dependencies: ["FileFormats", "ByteIO", "TestSupport"]),
        
        .testTarget(name: "ModelFormatTests", dependencies: ["ModelFormat", "Importers", "PickleReader", "Runtime", "TestSupport"]),
        .testTarget(name: "PickleReaderTests", dependencies: ["PickleReader", "TestSupport"]),
        .testTarget(name: "ONNXReaderTests", dependencies: ["ONNXReader", "TestSupport"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "Importers", "FileFormats", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["stylegan", "FileFormats", "TestSupport"]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets", "PickleReader", "Importers", "ModelFormat", "ByteIO", "TestSupport"]),
    ] + (fuzzing ? [
        .target(name: "FuzzHooks"),
        .executableTarget(name: "fuzz-readers", dependencies: ["FuzzTargets", "FuzzHooks"], path: "Sources/FuzzReaders"),
    ] : []),
    swiftLanguageModes: [.v6]
)
