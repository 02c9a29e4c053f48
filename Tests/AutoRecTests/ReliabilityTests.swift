import TapeGradTestSupport
import Foundation
import Testing
import TapeGrad
import TapeGradLayers
@testable import AutoRec
@testable import AutoRecCLI

#if canImport(Glibc)
import Glibc
import TapeGradFormats
#endif

// Saved models, numerics and reproducibility; see Docs/Reliability.md.

/// A small trained model written to `path`, and the fit it came from.
private func savedModel(at path: String, hidden: Int = 4) throws -> FitResult {
    let split = smallSplit()
    var options = quickOptions()
    options.maxEpochs = 5
    let fit = try AutoRecFitter(configuration: AutoRecConfiguration(hidden: [hidden]), options: options).fit(split.train, scale: split.scale)
    try ModelFile(recommender: fit.recommender, info: ["split_seed": "3"]).write(to: path)
    return fit
}

/// The description of the error `ModelFile(contentsOf:)` throws, or nil if it loads.
private func loadError(_ path: String) -> String? {
    do {
        _ = try ModelFile(contentsOf: path)
        return nil
    } catch {
        return error.description
    }
}

/// Rewrites a model file with `change` applied to its tensors and metadata.
private func rewrite(_ source: String, to target: String, _ change: (inout SafeTensors) throws -> Void) throws {
    var file = try SafeTensors(contentsOf: URL(fileURLWithPath: source))
    try change(&file)
    try file.write(to: URL(fileURLWithPath: target))
}

@Suite("Model files")
struct ModelFileReliabilityTests {
    @Test("truncated at any length: rejected with an error naming the file")
    func truncated() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/m.safetensors"
        _ = try savedModel(at: path)
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        let cut = dir.path + "/cut.safetensors"
        for length in [0, 1, 7, 8, 9, 100, bytes.count / 2, bytes.count - 4, bytes.count - 1] {
            try Data(bytes.prefix(length)).write(to: URL(fileURLWithPath: cut))
            let message = try #require(loadError(cut), "length \(length) loaded")
            #expect(message.contains(cut), "length \(length): \(message)")
        }
        // Bytes appended to a complete file are refused too.
        try Data(bytes + [0, 0, 0, 0]).write(to: URL(fileURLWithPath: cut))
        #expect(loadError(cut)?.contains("tensors cover") == true)
    }

    @Test("altered metadata and index tensors: each rejected with a message saying what is wrong")
    func altered() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/m.safetensors"
        _ = try savedModel(at: path)
        let bad = dir.path + "/bad.safetensors"
        let cases: [(String, (inout SafeTensors) throws -> Void)] = [
            ("not an autorec model file", { $0.metadata["format"] = "pt" }),
            ("model file version 7 is not supported", { $0.metadata["version"] = "7" }),
            ("the model configuration in the metadata is missing or invalid", { $0.metadata["configuration"] = "{\"hidden\": \"many\"}" }),
            ("the rating scale in the metadata is missing or invalid", { $0.metadata["scale_maximum"] = "nan" }),
            ("the rating scale in the metadata is missing or invalid", { $0.metadata["scale_minimum"] = "9"; $0.metadata["scale_maximum"] = "1" }),
            ("a training rating refers to a user or item outside the id maps", { f in
                var users: [Int32] = try f.values("data/user_index")
                users[0] = Int32(users.count + 1000)
                _ = f.remove(named: "data/user_index")
                try f.add("data/user_index", users, shape: [users.count])
            }),
            ("the id maps contain duplicates", { f in
                var ids: [Int64] = try f.values("data/item_ids")
                ids[1] = ids[0]
                _ = f.remove(named: "data/item_ids")
                try f.add("data/item_ids", ids, shape: [ids.count])
            }),
            ("the id maps contain a negative id", { f in
                var ids: [Int64] = try f.values("data/user_ids")
                ids[0] = -5
                ids[1] = 1_000_000  // not a consecutive run, so the hash table path is taken
                _ = f.remove(named: "data/user_ids")
                try f.add("data/user_ids", ids, shape: [ids.count])
            }),
            ("a training rating is not a finite number", { f in
                var r: [Float] = try f.values("data/rating")
                r[2] = .nan
                _ = f.remove(named: "data/rating")
                try f.add("data/rating", r, shape: [r.count])
            }),
            ("parameter 'decoder.bias' of shape", { f in _ = f.remove(named: "decoder.bias") }),
            ("is F64, not F32", { f in
                let w: [Float] = try f.values("decoder.bias")
                _ = f.remove(named: "decoder.bias")
                try f.add("decoder.bias", w.map(Double.init), shape: [w.count])
            }),
            ("no tensor named 'data/rating'", { f in _ = f.remove(named: "data/rating") }),
        ]
        for (expected, change) in cases {
            try rewrite(path, to: bad, change)
            let message = loadError(bad)
            #expect(message?.contains(expected) == true, "expected '\(expected)', got \(message ?? "no error")")
            #expect(message?.contains(bad) == true, "the message names the file: \(message ?? "")")
        }
    }

    @Test("a version 1 file (decoder weight stored k × inputs) loads, converted, with the same predictions")
    func versionOneUpgrade() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/m.safetensors"
        let fit = try savedModel(at: path, hidden: 3)
        let old = dir.path + "/v1.safetensors"
        try rewrite(path, to: old) { f in
            f.metadata["version"] = "1"
            let w: [Float] = try f.values("decoder.weight")
            let shape = try #require(f.entries.first { $0.name == "decoder.weight" }?.shape)
            #expect(shape[1] == 3)
            var t = [Float](repeating: 0, count: w.count)
            for r in 0..<shape[0] { for c in 0..<shape[1] { t[c * shape[0] + r] = w[r * shape[1] + c] } }
            _ = f.remove(named: "decoder.weight")
            try f.add("decoder.weight", t, shape: [shape[1], shape[0]])
        }
        let loaded = try ModelFile(contentsOf: old)
        let expected = try #require(fit.recommender.ensemble.first?["decoder.weight"])
        #expect(loaded.recommender.ensemble.first?["decoder.weight"] == expected)
        let test = smallSplit().test
        #expect(loaded.recommender.predict(users: test.userIndices, items: test.itemIndices)
                == fit.recommender.predict(users: test.userIndices, items: test.itemIndices))
    }

    @Test("a byte flipped anywhere in the length or header: rejected or loaded, never a crash")
    func flippedHeaderBytes() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/m.safetensors"
        _ = try savedModel(at: path)
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        let headerEnd = 8 + Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let flipped = dir.path + "/flip.safetensors"
        var rejected = 0
        for k in stride(from: 0, to: headerEnd, by: max(1, headerEnd / 150)) {
            var copy = bytes
            copy[k] ^= 0x5A
            try Data(copy).write(to: URL(fileURLWithPath: flipped))
            if let message = loadError(flipped) {
                rejected += 1
                #expect(message.contains(flipped), "\(message)")
            }
        }
        #expect(rejected > 100)
    }

    @Test("loading into another shape names the parameter and both shapes")
    func otherShape() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/m.safetensors"
        let fit = try savedModel(at: path, hidden: 4)
        let inputs = fit.recommender.training.userCount
        let bad = dir.path + "/shape.safetensors"
        // The configuration now says 6 hidden units; the stored weights have 4.
        try rewrite(path, to: bad) { f in
            var configuration = fit.recommender.model.configuration
            configuration.hidden = [6]
            f.metadata["configuration"] = String(decoding: try JSONEncoder().encode(configuration), as: UTF8.self)
        }
        let message = try #require(loadError(bad))
        #expect(message.contains("\(bad): parameter 'encoder.weight' has shape [\(inputs), 4] but the graph needs [\(inputs), 6]")
                || message.contains("\(bad): parameter 'encoder.weight' has shape [4, \(inputs)] but the graph needs [6, \(inputs)]"),
                "\(message)")
        // The graph-level loader says the same for any graph.
        let file = try SafeTensors(contentsOf: URL(fileURLWithPath: path))
        let other = try AutoRec(configuration: AutoRecConfiguration(hidden: [4]), inputSize: inputs + 1)
        #expect(throws: CheckpointError.self) { let _: Parameters<Float> = try file.parameters(for: other.graph, file: "x") }
        do {
            let _: Parameters<Float> = try file.parameters(for: other.graph, file: "x")
        } catch {
            #expect(error.description.hasPrefix("x: parameter 'encoder.weight' has shape ["))
            #expect(error.description.contains("\(inputs + 1)") && error.description.contains("\(inputs)"))
        }
    }

    @Test("SIGKILL during a save over a model file leaves the previous model loadable and unchanged")
    func killDuringModelSave() throws {
        // ModelFile.write delegates to SafeTensors.write (temporary file, fsync, rename). The
        // helper process saves a 48 MiB checkpoint to the model's path; it is killed during its
        // first save, so the file must still be the model written here.
        guard let helper = safetensorsWriterHelper() else {
            Issue.record("helper executable 'safetensors-writer' not found next to the test binary (set SAFETENSORS_WRITER)")
            return
        }
        let dir = try TemporaryDirectory()
        let path = dir.path + "/model.safetensors"
        let fit = try savedModel(at: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        for _ in 0..<2 {
            let process = Process()
            process.executableURL = helper
            process.arguments = [path, "48"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(60)
            var inProgress = false
            while Date() < deadline && process.isRunning && !inProgress {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
                inProgress = names.contains { name in
                    name.hasPrefix(".model.safetensors.") && name.hasSuffix(".tmp")
                        && ((try? FileManager.default.attributesOfItem(atPath: dir.path + "/" + name)[.size] as? Int) ?? 0) > 0
                }
                if !inProgress { usleep(200) }
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(inProgress, "never saw the save in progress")
            #expect(process.terminationReason == .uncaughtSignal)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
            let loaded = try ModelFile(contentsOf: path)
            #expect(loaded.recommender.ensemble == fit.recommender.ensemble)
        }
    }
}


@Suite("Numerics")
struct NumericsReliabilityTests {
    @Test("the trainer stops at the first non-finite loss, records it and shows it to the callback")
    func trainerStopsOnNaN() {
        var parameters = Parameters<Float>([("w", Tensor<Float>([1, 2]))])
        var optimizer = SGD<Float>(learningRate: 0.1)
        var seen: [Float] = []
        for bad in [Float.nan, .infinity, -.infinity] {
            seen = []
            let result = train(&parameters, optimizer: &optimizer, configuration: TrainingConfiguration(epochs: 10, patience: 3),
                               batches: { [$0] },
                               objective: { epoch, p in (epoch >= 3 ? bad : 1, p.withTensors(p.tensors.map { _ in Tensor<Float>([0, 0]) })) },
                               validate: { _ in 1 },
                               callback: { seen.append(Float($0.trainLoss)); return true })
            #expect(result.stopReason == .diverged)
            #expect(result.history.count == 3)
            #expect(result.history.last.map { !$0.trainLoss.isFinite } == true)
            #expect(seen.count == 3 && !seen[2].isFinite)
            #expect(result.selectedEpoch == 1)  // the best validation epoch's parameters are restored
        }
    }

    @Test("the AutoRec objective stays finite: no ratings at all, empty rows and columns, saturated sigmoids")
    func objectiveEdgeCases() throws {
        let model = try AutoRec(configuration: AutoRecConfiguration(hidden: [4]), inputSize: 6)
        let p: Parameters<Float> = model.graph.initialParameters(seed: 1)
        func isFinite(_ g: Parameters<Float>) -> Bool { g.tensors.allSatisfy { $0.scalars.allSatisfy(\.isFinite) } }
        // No observed entry: zero error, zero gradient (no penalty with λ = 0).
        let empty = SparseMatrix<Float>(rows: 3, columns: 6, rowIndices: [], columnIndices: [], values: [])
        var (loss, gradient) = model.objective(empty, parameters: p, lambda: 0)
        #expect(loss == 0)
        #expect(gradient.tensors.allSatisfy { $0.scalars.allSatisfy { $0 == 0 } })
        // Row 1 and columns 0, 4, 5 empty.
        let sparse = SparseMatrix<Float>(rows: 3, columns: 6, rowIndices: [0, 0, 2], columnIndices: [1, 3, 2], values: [5, 1, 3])
        (loss, gradient) = model.objective(sparse, parameters: p, lambda: 1)
        #expect(loss.isFinite && loss > 0 && isFinite(gradient))
        // Weights 10⁴ times too large: the sigmoids saturate (derivative exactly 0), nothing overflows.
        let big = p.withTensors(p.tensors.map { t in Tensor(shape: t.shape, scalars: t.scalars.map { $0 * 10_000 }) })
        (loss, gradient) = model.objective(sparse, parameters: big, lambda: 1)
        #expect(loss.isFinite && isFinite(gradient), "loss \(loss)")
    }

    @Test("a run that diverges names the epoch and leaves an earlier saved model untouched")
    func divergenceThroughCLI() throws {
        let dir = try TemporaryDirectory()
        let model = dir.path + "/m.safetensors"
        #expect(runAutoRec(quick + ["--save", model]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: model))
        let r = runAutoRec(["--synthetic", "60x80x2400", "--hidden", "8", "--epochs", "5", "--lambda", "1", "--ensemble", "1",
                            "--optimizer", "sgd", "--learning-rate", "1000000", "--save", model, "--quiet"])
        #expect(r.status == 1)
        #expect(r.err.hasPrefix("autorec: error: training diverged at epoch "), "stderr: \(r.err)")
        #expect(r.err.contains(try Regex(#"at epoch [1-5] \(λ search run 1, λ = 1\)"#)), "stderr: \(r.err)")
        #expect(r.err.contains("the training loss became"), "stderr: \(r.err)")
        #expect(r.err.split(separator: "\n").count == 1)
        #expect(r.out.isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: model)) == before)
    }

    @Test("extreme inputs: huge ratings on a 1...100 scale, a single user, a single item")
    func extremeData() throws {
        let dir = try TemporaryDirectory()
        // Ratings at the edges of the accepted range.
        var text = ""
        for u in 1...8 { for i in 1...6 where (u + i) % 4 != 0 { text += "\(u) \(i) \((u * i) % 2 == 0 ? "100" : "0.000001")\n" } }
        let edges = try dir.write("edges.data", text)
        var r = runAutoRec(["--ratings", edges] + tiny)
        #expect(r.status == 0, "stderr: \(r.err)")
        #expect(r.out.contains("test RMSE:") && !r.out.contains("nan"), "stdout: \(r.out)")
        // One user: item-based AutoRec has one input; user-based has one instance.
        let oneUser = try dir.write("one-user.data", (1...30).map { "7 \($0) \($0 % 5 + 1)\n" }.joined())
        for model in ["item", "user"] {
            r = runAutoRec(["--ratings", oneUser, "--model", model] + tiny)
            #expect(r.status == 0, "\(model): stderr: \(r.err)")
            #expect(!r.out.contains("nan"), "stdout: \(r.out)")
        }
        let oneItem = try dir.write("one-item.data", (1...30).map { "\($0) 7 \($0 % 5 + 1)\n" }.joined())
        r = runAutoRec(["--ratings", oneItem] + tiny)
        #expect(r.status == 0, "stderr: \(r.err)")
        // A single rating: nothing left to train on after the test split.
        let one = try dir.write("one.data", "1 1 3\n")
        r = runAutoRec(["--ratings", one] + tiny)
        #expect(r.status == 0 || r.status == 1, "stderr: \(r.err)")
        #expect(r.status == 0 || r.err.hasPrefix("autorec: error: "))
    }
}

@Suite("Reproducibility")
struct ReproducibilityTests {
    /// The metrics JSON without the wall-clock keys.
    private func withoutTiming(_ value: Any) -> Any {
        if let dict = value as? [String: Any] {
            return dict.filter { !["seconds", "seconds_per_epoch", "train_seconds"].contains($0.key) }.mapValues(withoutTiming)
        }
        if let array = value as? [Any] { return array.map(withoutTiming) }
        return value
    }

    private func run(threads: Int, in dir: TemporaryDirectory, name: String) throws -> (json: Data, model: Data) {
        let json = dir.path + "/\(name).json", model = dir.path + "/\(name).safetensors"
        let r = runAutoRec(quick + ["--threads", String(threads), "--seed", "11", "--metrics-json", json, "--save", model])
        #expect(r.status == 0, "stderr: \(r.err)")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json)))
        let stripped = try JSONSerialization.data(withJSONObject: withoutTiming(object), options: [.sortedKeys])
        return (stripped, try Data(contentsOf: URL(fileURLWithPath: model)))
    }

    @Test("same seed and thread count: bit-identical metrics JSON (timing keys aside) and model file")
    func sameSeedSameBits() throws {
        let dir = try TemporaryDirectory()
        let a = try run(threads: 2, in: dir, name: "a")
        let b = try run(threads: 2, in: dir, name: "b")
        #expect(a.json == b.json)
        #expect(a.model == b.model)
        #expect(a.model.count > 1000)
    }

    @Test("the sparse AutoRec path gives bit-identical results with 1 and 2 threads")
    func threadCountDoesNotMatter() throws {
        let split = smallSplit()
        for kind in [AutoRecKind.item, .user] {
            var options = quickOptions()
            options.maxEpochs = 8
            func fit(_ threads: Int) throws -> FitResult {
                try Parallelism.$threads.withValue(threads) {
                    try AutoRecFitter(configuration: AutoRecConfiguration(kind: kind, hidden: [16]), options: options)
                        .fit(split.train, scale: split.scale)
                }
            }
            let one = try fit(1), two = try fit(2)
            #expect(one.recommender.ensemble == two.recommender.ensemble, "\(kind)")
            #expect(one.history.map(\.trainLoss) == two.history.map(\.trainLoss))
            #expect(one.validationRMSE == two.validationRMSE)
            let p1 = Parallelism.$threads.withValue(1) { one.recommender.predict(users: split.test.userIndices, items: split.test.itemIndices) }
            let p2 = Parallelism.$threads.withValue(2) { two.recommender.predict(users: split.test.userIndices, items: split.test.itemIndices) }
            #expect(p1 == p2)
        }
        // And through the command line: --threads 1 and 2 write the same metrics and model.
        let dir = try TemporaryDirectory()
        let a = try run(threads: 1, in: dir, name: "one")
        let b = try run(threads: 2, in: dir, name: "two")
        #expect(a.json == b.json)
        #expect(a.model == b.model)
    }
}

@Suite("Dense GEMM and the thread count")
struct GemmThreadDeterminismTests {
    /// C = A·B on the blocked path with `threads` workers.
    private func product(m: Int, n: Int, k: Int, threads: Int) -> [Float] {
        var g = SplitMix64(seed: UInt64(m * 31 + n * 7 + k))
        let unit: Double = 1 / Double(UInt64(1) << 53)
        let a: [Float] = (0..<(m * k)).map { _ in Float(Double(g.next() >> 11) * unit - 0.5) }
        let b: [Float] = (0..<(k * n)).map { _ in Float(Double(g.next() >> 11) * unit - 0.5) }
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    Gemm.sgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: pa.baseAddress!, lda: k,
                               b: pb.baseAddress!, ldb: n, beta: 0, c: pc.baseAddress!, ldc: n, threads: threads)
                }
            }
        }
        return c
    }

    @Test("the blocked GEMM sums each element in the same order for 1 and 2 threads (bit-identical)")
    func sameBits() {
        // Rows split between threads (m large) and columns split (m small); k over two KC slabs.
        for (m, n, k) in [(130, 70, 1030), (24, 200, 520)] {
            #expect(product(m: m, n: n, k: k, threads: 1) == product(m: m, n: n, k: k, threads: 2), "m \(m) n \(n) k \(k)")
        }
    }
}
