import Foundation
import AutoRec
import TapeGrad
import TapeGradLayers
import CTapeGradKernels

/// The named shapes of the project's issue (users × items, ratings).
let namedShapes: [String: SyntheticShape] = [
    "ml-100k": SyntheticShape(users: 943, items: 1_682, ratings: 100_000),
    "ml-1m": SyntheticShape(users: 6_040, items: 3_706, ratings: 1_000_209),
    "ml-10m": SyntheticShape(users: 69_878, items: 10_677, ratings: 10_000_054),
    "netflix": SyntheticShape(users: 480_189, items: 17_770, ratings: 100_480_507),
]

/// The synthetic shape named or spelled `UxIxR` by `text`, and `--model item|user` (default item).
func shapeAndModel(_ text: String, _ args: Arguments) throws -> (SyntheticShape, AutoRecKind) {
    let shape: SyntheticShape
    if let named = namedShapes[text.lowercased()] {
        shape = named
    } else {
        do { shape = try SyntheticShape(parsing: text) } catch { throw UsageError("\(error)") }
    }
    switch args.string("model") ?? "item" {
    case "item": return (shape, .item)
    case "user": return (shape, .user)
    case let other: throw UsageError("--model must be item or user, got '\(other)'")
    }
}

/// `tapegrad-bench autorec`: full-batch training epochs of AutoRec (k = 500, Float, Rprop)
/// on synthetic ratings, through the same code as the `autorec` program's trainer:
/// `AutoRec.objective` for loss and gradient, `Rprop.update` for the step.
func runAutoRecBenchmark(_ raw: [String]) throws {
    let args = try Arguments(raw, options: ["shape", "model", "epochs", "threads", "seed", "hidden", "precision"],
                             switches: ["json", "compare", "check"])
    guard let shapeText = args.string("shape") else { throw UsageError("--shape is required (ml-100k, ml-1m, ml-10m, netflix or UxIxR)") }
    let (shape, kind) = try shapeAndModel(shapeText, args)
    let epochs = try args.positiveInt("epochs", default: 5)!
    let threads = try args.positiveInt("threads", default: Parallelism.defaultThreads)!
    let seed = UInt64(try args.positiveInt("seed", default: 1)!)
    let hidden = try args.positiveInt("hidden", default: 500)!
    let precision = try parsePrecision(args)
    let json = args.has("json")
    var configuration = AutoRecConfiguration(kind: kind, hidden: [hidden])
    configuration.precision = precision

    let generationStart = now()
    let matrix = InstanceMatrix(SyntheticRatings.generate(shape, seed: seed), kind: kind).matrix
    let generationSeconds = now() - generationStart
    if !json {
        print("shape \(shapeText): \(shape.users) users × \(shape.items) items, \(matrix.nonzeroCount) ratings "
              + "(\(String(format: "%.1f", generationSeconds)) s to generate); \(kind.modelName) k=\(hidden), "
              + "\(matrix.rows) instances × \(matrix.columns) inputs, \(threads) thread\(threads == 1 ? "" : "s"), "
              + "\(precision.rawValue), kernels \(CPULevel.current)")
    }

    if args.has("check") {
        // Sparse path vs the dense reference (small shapes only): loss and gradient agreement.
        let model = try AutoRec(configuration: configuration, inputSize: matrix.columns)
        let parameters: Parameters<Float> = model.graph.initialParameters(seed: seed)
        let sparse = Parallelism.$threads.withValue(threads) { model.objective(matrix, parameters: parameters) }
        let dense = model.denseObjective(matrix, parameters: parameters)
        var worst = 0.0
        for (a, b) in zip(sparse.gradient.tensors, dense.gradient.tensors) {
            let scale = b.scalars.map { abs(Double($0)) }.max() ?? 0
            let diff = zip(a.scalars, b.scalars).map { abs(Double($0) - Double($1)) }.max() ?? 0
            worst = max(worst, scale > 0 ? diff / scale : diff)
        }
        print("check: loss sparse \(sparse.loss) dense \(dense.loss); max gradient difference / max |gradient| = \(worst)")
    }

    var times: [Double] = []
    var losses: [Double] = []
    var cpuTimes: [Double] = []
    try Parallelism.$threads.withValue(threads) {
        let model = try AutoRec(configuration: configuration, inputSize: matrix.columns)
        var parameters: Parameters<Float> = model.graph.initialParameters(seed: seed)
        var optimizer = Rprop<Float>()
        for epoch in 1...epochs {
            let start = now(), cpuStart = cpuSeconds()
            let loss = optimizer.step(&parameters) { model.objective(matrix, parameters: $0) }
            let seconds = now() - start
            times.append(seconds)
            cpuTimes.append(cpuSeconds() - cpuStart)
            losses.append(Double(loss))
            if !json { print(String(format: "  epoch %d: %.4f s (CPU %.4f s), loss %.6g", epoch, seconds, cpuTimes.last!, Double(loss))) }
        }
    }
    let perEpoch = median(times)
    let peak = peakResidentBytes()

    var reference: (seconds: Double, peak: Int?)?
    if args.has("compare") {
        reference = runTorchReference(shape: shape, kind: kind, epochs: min(epochs, 3), threads: threads, seed: seed, hidden: hidden,
                                      quiet: json)
    }

    if json {
        var o = JSONObject()
        o.set("benchmark", "autorec")
        o.set("shape", shapeText)
        o.set("users", shape.users)
        o.set("items", shape.items)
        o.set("ratings", matrix.nonzeroCount)
        o.set("model", kind.rawValue)
        o.set("hidden", hidden)
        o.set("threads", threads)
        o.set("precision", precision.rawValue)
        o.set("cpu_level", CPULevel.current.description)
        o.set("epochs", epochs)
        o.set("seconds_per_epoch", perEpoch)
        o.set("epoch_seconds", times)
        o.set("cpu_seconds_per_epoch", median(cpuTimes))
        o.set("epoch_cpu_seconds", cpuTimes)
        o.set("losses", losses)
        o.set("generation_seconds", generationSeconds)
        if let peak { o.set("peak_rss_bytes", peak) } else { o.setNull("peak_rss_bytes") }
        if let reference {
            o.set("torch_seconds_per_epoch", reference.seconds)
            o.set("speedup_vs_torch", reference.seconds / perEpoch)
        }
        print(o.text)
    } else {
        print(String(format: "median %.4f s per epoch (CPU %.4f s) over %d epochs; ", perEpoch, median(cpuTimes), epochs)
              + "peak RSS \(formatBytes(peak))")
        if let reference {
            print(String(format: "PyTorch reference: %.4f s per epoch; TapeGrad is %.1f× faster", reference.seconds, reference.seconds / perEpoch))
        }
    }
}

/// `--precision fp32|bf16` (default fp32).
func parsePrecision(_ args: Arguments) throws -> Precision {
    guard let text = args.string("precision") else { return .fp32 }
    guard let precision = Precision(rawValue: text) else { throw UsageError("--precision must be fp32 or bf16, got '\(text)'") }
    return precision
}

/// Runs reference/autorec_torch.py in a child process if `import torch` works; nil otherwise.
func runTorchReference(shape: SyntheticShape, kind: AutoRecKind, epochs: Int, threads: Int, seed: UInt64, hidden: Int,
                       quiet: Bool) -> (seconds: Double, peak: Int?)? {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("reference/autorec_torch.py").path
    guard let check = runPython(["-c", "import torch"]), check.status == 0 else {
        printError("--compare: python3 cannot import torch; skipping the PyTorch reference")
        return nil
    }
    guard FileManager.default.fileExists(atPath: script) else {
        printError("--compare: \(script) not found; skipping the PyTorch reference")
        return nil
    }
    if !quiet { print("running the PyTorch reference (\(epochs) epochs)…") }
    guard let run = runPython([script, "--users", "\(shape.users)", "--items", "\(shape.items)", "--ratings", "\(shape.ratings)",
                            "--model", kind.rawValue, "--epochs", "\(epochs)", "--threads", "\(threads)",
                            "--seed", "\(seed)", "--hidden", "\(hidden)"]),
          run.status == 0 else {
        printError("--compare: the PyTorch reference failed")
        return nil
    }
    var seconds: Double?, peak: Int?
    for line in run.output.split(separator: "\n") {
        let parts = line.split(separator: " ")
        if parts.count == 2, parts[0] == "seconds_per_epoch" { seconds = Double(parts[1]) }
        if parts.count == 2, parts[0] == "peak_rss_bytes" { peak = Int(parts[1]) }
    }
    return seconds.map { ($0, peak) }
}
