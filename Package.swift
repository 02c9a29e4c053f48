// swift-tools-version: 6.0
// TapeGrad: a small, dependency-free reverse-mode automatic-differentiation framework,
// and AutoRec (Sedhain et al., WWW 2015) built on it.

import PackageDescription
import Foundation

// MARK: - Code generation
//
// The dense kernels are written with Swift SIMD types. Without a target CPU the compiler may only
// use SSE2 on x86-64, and SIMD fused multiply-adds become scalar library calls (see
// Docs/Performance.md). We therefore compile for the building machine's CPU, like `-march=native`.
// Set TAPEGRAD_TARGET_CPU to another LLVM CPU name (for example `x86-64-v3`) to build a binary
// for other machines, or to `generic` to pass no flag at all.
let targetCPU = ProcessInfo.processInfo.environment["TAPEGRAD_TARGET_CPU"] ?? "native"
#if arch(x86_64)
let cpuFlags: [String] = targetCPU == "generic" ? [] : ["-target-cpu", targetCPU]
#else
let cpuFlags: [String] = []
#endif
let speed: [SwiftSetting] = [
    .unsafeFlags(cpuFlags + ["-enforce-exclusivity=unchecked"]),
]

// MARK: - Products and targets

let package = Package(
    name: "TapeGrad",
    products: [
        .library(name: "TapeGrad", targets: ["TapeGrad"]),
        .library(name: "TapeGradCheck", targets: ["TapeGradCheck"]),
        .library(name: "TapeGradLayers", targets: ["TapeGradLayers"]),
        .library(name: "AutoRec", targets: ["AutoRec"]),
        .executable(name: "autorec", targets: ["autorec"]),
        .executable(name: "tapegrad-bench", targets: ["tapegrad-bench"]),
        .executable(name: "fit-sine", targets: ["fit-sine"]),
        .executable(name: "safetensors-writer", targets: ["safetensors-writer"]),
        .executable(name: "matrix-factorization", targets: ["matrix-factorization"]),
        .executable(name: "neumf", targets: ["neumf"]),
        .executable(name: "cdae", targets: ["cdae"]),
        .executable(name: "autorec-tied", targets: ["autorec-tied"]),
    ],
    dependencies: [],
    targets: [
        // The hot kernels that choose CPU features (AVX2/FMA, AVX-512) at run time, in C.
        .target(name: "CTapeGradKernels", path: "Sources/CTapeGradKernels"),
        // Core: tensors, the tape, the ops and their kernels.
        .target(name: "TapeGrad", dependencies: ["CTapeGradKernels"], swiftSettings: speed),
        // Gradient checking against finite differences, for our tests and for users'.
        .target(name: "TapeGradCheck", dependencies: ["TapeGrad"], swiftSettings: speed),
        // Layers, layer graphs, losses, optimizers, checkpoints, training loop.
        .target(name: "TapeGradLayers", dependencies: ["TapeGrad"], swiftSettings: speed),
        // AutoRec: data, the model as a layer graph, the paper's evaluation protocol.
        .target(name: "AutoRec", dependencies: ["TapeGrad", "TapeGradLayers"], swiftSettings: speed),
        // The `autorec` command line: argument parsing, reports, files; a library so tests can
        // run it in-process.
        .target(name: "AutoRecCLI", dependencies: ["AutoRec"], swiftSettings: speed),

        // Programs.
        .executableTarget(name: "autorec", dependencies: ["AutoRecCLI", "TapeGrad"], path: "Examples/autorec",
                          swiftSettings: speed),
        .executableTarget(name: "tapegrad-bench", dependencies: ["AutoRec"], path: "Examples/tapegrad-bench",
                          exclude: ["reference"], swiftSettings: speed),
        .executableTarget(name: "fit-sine", dependencies: ["TapeGradLayers"], path: "Examples/fit-sine",
                          swiftSettings: speed),
        // The model zoo: recommenders declared as layer graphs, trained and evaluated by the
        // rating-regression harness (Docs/Models.md).
        .executableTarget(name: "matrix-factorization", dependencies: ["AutoRecCLI"], path: "Examples/matrix-factorization",
                          swiftSettings: speed),
        .executableTarget(name: "neumf", dependencies: ["AutoRecCLI"], path: "Examples/neumf", swiftSettings: speed),
        .executableTarget(name: "cdae", dependencies: ["AutoRecCLI"], path: "Examples/cdae", swiftSettings: speed),
        .executableTarget(name: "autorec-tied", dependencies: ["AutoRecCLI"], path: "Examples/autorec-tied", swiftSettings: speed),
        // Saves a checkpoint in a loop; the crash-safety test kills it mid-save.
        .executableTarget(name: "safetensors-writer", dependencies: ["TapeGradLayers"], path: "Examples/safetensors-writer"),

        // Tests.
        // Helpers shared by the test targets.
        .target(name: "TapeGradTestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TapeGradTests", dependencies: ["TapeGrad", "TapeGradCheck"]),
        .testTarget(name: "TapeGradLayersTests", dependencies: ["TapeGradLayers", "TapeGradCheck", "TapeGradTestSupport"]),
        .testTarget(name: "AutoRecTests", dependencies: ["AutoRec", "AutoRecCLI", "TapeGradCheck", "TapeGradTestSupport"]),
        .testTarget(name: "ModelZooTests", dependencies: ["matrix-factorization", "neumf", "cdae", "autorec-tied",
                                                           "AutoRec", "TapeGradCheck"]),
    ],
    swiftLanguageModes: [.v6]
)
