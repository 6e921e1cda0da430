// swift-tools-version: 6.0
import PackageDescription

// The kernels are compiled optimized for this CPU even in a debug build, so a plain
// `swift run lesson lenet` trains at full speed (scripts/check-debug-speed checks it). The later
// -O wins over the debug -Onone. -wmo compiles each module whole, as release does, so a kernel
// inlines helpers from other files (the GEMM microkernel into the direct convolution); a debug
// build otherwise compiles each file apart. -num-threads keeps one object per file, which the
// debug build's index expects, and -disable-batch-mode quiets the note that batch mode is moot.
let kernelFlags: [SwiftSetting] = [
    .unsafeFlags([
        "-O", "-wmo", "-num-threads", "2", "-disable-batch-mode",
        "-target-cpu", "native", "-enforce-exclusivity=unchecked",
    ])
]

let package = Package(
    name: "Convbook",
    products: [
        .executable(name: "lesson", targets: ["lesson"]),
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "NN", targets: ["NN"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The class page's server: small, on Swift concurrency and plain sockets, no SwiftNIO.
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CCairo", path: "Sources/CCairo", pkgConfig: "cairo",
            providers: [.apt(["libcairo2-dev"])]),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        // Header only: the kernels' cache prefetch hints.
        .systemLibrary(name: "CPrefetch", path: "Sources/CPrefetch"),
        .target(name: "Files"),
        .target(name: "Localization"),
        .target(name: "Tensors", dependencies: ["CPrefetch"], swiftSettings: kernelFlags),
        .target(name: "Plot", dependencies: ["Files", "Localization", "CCairo", "CPNG"]),
        .target(name: "NN", dependencies: ["Tensors", "Files", "Localization"]),
        .target(name: "Datasets", dependencies: ["Tensors", "Files", "CZlib"], swiftSettings: kernelFlags),
        .target(name: "Notebook", dependencies: ["Tensors", "NN", "Datasets", "Plot", "Files", "Localization"]),
        .target(
            name: "Classroom",
            dependencies: ["Notebook", "NN", "Files", "Localization", .product(name: "FlyingFox", package: "FlyingFox")]),
        // The lesson files, with their text built in (see Plugins/EmbedLessonSources).
        .target(name: "Lessons", dependencies: ["Notebook", "NN", "Datasets", "Tensors", "Localization"], path: "Lessons",
                plugins: ["EmbedLessonSources"]),
        .plugin(name: "EmbedLessonSources", capability: .buildTool(), dependencies: ["LessonSourceEmbedder"]),
        .executableTarget(name: "LessonSourceEmbedder"),
        .executableTarget(
            name: "lesson",
            dependencies: [
                "Lessons", "Notebook", "Classroom", "NN", "Datasets", "Files", "Localization", "Tensors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "bench",
            dependencies: [
                "Tensors", "NN", "Notebook", "Lessons",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: kernelFlags),
        .target(name: "TestSupport", dependencies: ["Tensors"], path: "Tests/TestSupport"),
        .testTarget(name: "FilesTests", dependencies: ["Files", "TestSupport"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Tensors", "CZlib", "TestSupport"]),
        .testTarget(name: "PlotTests", dependencies: ["Plot", "Files", "Localization", "TestSupport"], exclude: ["JPEG"]),
        .testTarget(name: "NotebookTests", dependencies: ["Notebook", "Plot", "NN", "Tensors", "Datasets", "Files", "Localization", "TestSupport"]),
        .testTarget(name: "LessonsTests", dependencies: ["Lessons", "Notebook", "NN", "Tensors", "Datasets", "Localization", "TestSupport"]),
        .testTarget(name: "ClassroomTests", dependencies: ["Classroom", "Notebook", "TestSupport"]),
        // Runs the built `lesson` binary as a process (signals, consoles, a second run).
        .testTarget(name: "LessonCommandTests", dependencies: ["TestSupport"], exclude: ["Expected"]),
    ],
    swiftLanguageModes: [.v6]
)
