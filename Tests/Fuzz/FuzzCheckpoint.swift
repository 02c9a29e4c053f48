// libFuzzer entry point for the checkpoint loader: `SafeTensors(serialized:source:)` on the raw
// input, and `ModelFile(contentsOf:)` on the same bytes written to a file (the path users take).
// Not part of any SwiftPM target: compiled by .ci/fuzz with the library sources.
// Property checked: every input is either accepted (and then re-serializes to an equal value)
// or rejected with a SafeTensorsError / CheckpointError; never a trap or a huge allocation.
import Foundation
import TapeGradLayers
import AutoRec
import TapeGradFormats

private let path: String = {
    let dir = ProcessInfo.processInfo.environment["FUZZ_TMPDIR"] ?? NSTemporaryDirectory()
    return (dir as NSString).appendingPathComponent("fuzz-checkpoint-\(getpid()).safetensors")
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let file = try SafeTensors(serialized: bytes, source: "fuzz")
        let again = try SafeTensors(serialized: file.serialized(), source: "fuzz-again")
        precondition(again == file, "serialize/parse round trip changed the value")
    } catch {
        precondition("\(error)".contains("fuzz"))
    }
    // The ModelFile path reads from disk.
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return 0 }
    do {
        let model = try ModelFile(contentsOf: path)
        // A model that loads must be usable.
        let r = model.recommender
        if r.training.userCount > 0 && r.training.itemCount > 0 {
            _ = r.predict(users: [0], items: [0])
        }
    } catch {
        precondition("\(error)".contains(path) || "\(error)".contains("fuzz"), "error without the file name: \(error)")
    }
    return 0
}

/// With FUZZ_WRITE_SEEDS=DIR in the environment, writes the seed corpus (a small AutoRec model
/// trained on generated data, and plain safetensors files) into DIR and exits; .ci/fuzz runs this
/// once before fuzzing. No MovieLens data is involved.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzCheckpointInitialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32 {
    guard let dir = ProcessInfo.processInfo.environment["FUZZ_WRITE_SEEDS"] else { return 0 }
    do {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let all = SyntheticRatings.generate(users: 6, items: 5, ratings: 18, seed: 1)
        let split = RatingSplit.random(all, testFraction: 0.2, seed: 1)
        var options = FitOptions()
        options.maxEpochs = 2
        options.lambdas = [1]
        options.ensembleSize = 1
        let fit = try AutoRecFitter(configuration: AutoRecConfiguration(hidden: [2]), options: options)
            .fit(split.train, scale: split.scale)
        try ModelFile(recommender: fit.recommender, info: ["split_seed": "1"]).write(to: dir + "/model.safetensors")
        var plain = SafeTensors(metadata: ["a": "b"])
        try plain.add("w", [Float](repeating: 0.5, count: 6), shape: [2, 3])
        try plain.add("i", [Int64](arrayLiteral: 1, 2), shape: [2])
        try plain.write(to: URL(fileURLWithPath: dir + "/plain.safetensors"))
        try SafeTensors().write(to: URL(fileURLWithPath: dir + "/empty.safetensors"))
    } catch {
        print("seed generation failed: \(error)")
        exit(1)
    }
    exit(0)
}
