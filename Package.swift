// swift-tools-version: 6.0
// TapeGrad: a small, dependency-free reverse-mode automatic-differentiation framework,
// and AutoRec (Sedhain et al., WWW 2015) built on it.

import PackageDescription

// MARK: - Products and targets

let package = Package(
    name: "TapeGrad",
    products: [
        .library(name: "TapeGrad", targets: ["TapeGrad"]),
        .library(name: "TapeGradCheck", targets: ["TapeGradCheck"]),
        .library(name: "TapeGradFormats", targets: ["TapeGradFormats"]),
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
        .target(name: "TapeGrad", dependencies: ["CTapeGradKernels"]),
        // Gradient checking against finite differences, for our tests and for users'.
        .target(name: "TapeGradCheck", dependencies: ["TapeGrad"]),
        // File formats: safetensors (with its strict JSON header reader and writer, and the
        // crash-safe file replacement); knows nothing of tensors or layers.
        .target(name: "TapeGradFormats"),
        // Layers, layer graphs, losses, optimizers, checkpoints (parameters in safetensors),
        // training loop.
        .target(name: "TapeGradLayers", dependencies: ["TapeGrad", "TapeGradFormats"]),
        // AutoRec: data, the model as a layer graph, the paper's evaluation protocol, model files.
        .target(name: "AutoRec", dependencies: ["TapeGrad", "TapeGradFormats", "TapeGradLayers"]),
        // The `autorec` command line: argument parsing, reports, charts, files; a library so
        // tests can run it in-process.
        .target(name: "AutoRecCLI", dependencies: ["AutoRec"]),

        // Programs.
        .executableTarget(name: "autorec", dependencies: ["AutoRecCLI", "TapeGrad"], path: "Examples/autorec"),
        .executableTarget(name: "tapegrad-bench", dependencies: ["AutoRec"], path: "Examples/tapegrad-bench",
                          exclude: ["reference"]),
        .executableTarget(name: "fit-sine", dependencies: ["TapeGradLayers"], path: "Examples/fit-sine"),
        // The model zoo: recommenders declared as layer graphs, trained and evaluated by the
        // rating-regression harness (Docs/Models.md).
        .executableTarget(name: "matrix-factorization", dependencies: ["AutoRecCLI"], path: "Examples/matrix-factorization"),
        .executableTarget(name: "neumf", dependencies: ["AutoRecCLI"], path: "Examples/neumf"),
        .executableTarget(name: "cdae", dependencies: ["AutoRecCLI"], path: "Examples/cdae"),
        .executableTarget(name: "autorec-tied", dependencies: ["AutoRecCLI"], path: "Examples/autorec-tied"),
        // Saves a checkpoint in a loop; the crash-safety test kills it mid-save.
        .executableTarget(name: "safetensors-writer", dependencies: ["TapeGradFormats", "TapeGradLayers"], path: "Examples/safetensors-writer"),

        // Tests.
        // Helpers shared by the test targets.
        .target(name: "TapeGradTestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TapeGradTests", dependencies: ["TapeGrad", "TapeGradCheck"]),
        .testTarget(name: "TapeGradFormatsTests", dependencies: ["TapeGradFormats", "TapeGradTestSupport"]),
        .testTarget(name: "TapeGradLayersTests", dependencies: ["TapeGradLayers", "TapeGradFormats", "TapeGradCheck", "TapeGradTestSupport"]),
        .testTarget(name: "AutoRecTests", dependencies: ["AutoRec", "AutoRecCLI", "TapeGradFormats", "TapeGradCheck", "TapeGradTestSupport"]),
        .testTarget(name: "ModelZooTests", dependencies: ["matrix-factorization", "neumf", "cdae", "autorec-tied",
                                                           "AutoRec", "TapeGradCheck"]),
    ],
    swiftLanguageModes: [.v6]
)
