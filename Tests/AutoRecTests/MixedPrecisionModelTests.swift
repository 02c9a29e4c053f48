// AutoRec with `precision: .bf16`: the configuration carries it (model files record it, older
// files read as fp32), the training objective uses it through the layer graph, and the
// `--precision` flag sets it.

import Foundation
import Testing
import TapeGrad
import TapeGradLayers
@testable import AutoRec

@Test("the precision is part of the configuration: encoded, decoded, fp32 for files written before it")
func precisionInConfiguration() throws {
    var configuration = AutoRecConfiguration(hidden: [8])
    #expect(configuration.precision == .fp32)
    configuration.precision = .bf16
    let decoded = try JSONDecoder().decode(AutoRecConfiguration.self, from: JSONEncoder().encode(configuration))
    #expect(decoded == configuration && decoded.precision == .bf16)
    let old = #"{"kind":"item","hidden":[500],"hiddenActivation":"sigmoid","outputActivation":"identity","lambda":100}"#
    #expect(try JSONDecoder().decode(AutoRecConfiguration.self, from: Data(old.utf8)).precision == .fp32)
}

@Test("a bf16 objective reads rounded operands: close to the fp32 loss and gradient, not equal to them")
func bfloat16Objective() throws {
    let split = smallSplit()
    let matrix = InstanceMatrix(split.train, kind: .item).matrix
    var configuration = AutoRecConfiguration(hidden: [24])
    let fp32Model = try AutoRec(configuration: configuration, inputSize: matrix.columns)
    configuration.precision = .bf16
    let bf16Model = try AutoRec(configuration: configuration, inputSize: matrix.columns)
    let parameters: Parameters<Float> = fp32Model.graph.initialParameters(seed: 4)
    let exact = fp32Model.objective(matrix, parameters: parameters)
    let mixed = bf16Model.objective(matrix, parameters: parameters)
    #expect(exact.loss != mixed.loss)
    #expect(abs(mixed.loss - exact.loss) <= 0x1p-7 * exact.loss)
    for (a, b) in zip(exact.gradient.tensors, mixed.gradient.tensors) {
        let scale = a.scalars.map { abs($0) }.max() ?? 0
        let difference = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
        #expect(difference <= 0x1p-5 * scale, "gradient differs by \(difference) at scale \(scale)")
    }
}

@Test("autorec --precision bf16 trains, saves the precision in the model file, and evaluates it")
func precisionFlag() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("bf16.safetensors").path
    let (status, out, err) = runAutoRec(quick + ["--blend", "off", "--precision", "bf16", "--save", path])
    #expect(status == 0, "stderr: \(err)")
    #expect(out.contains("test RMSE"))
    let loaded = try ModelFile(contentsOf: path)
    #expect(loaded.recommender.model.configuration.precision == .bf16)
    let bad = runAutoRec(["--precision", "fp16"])
    #expect(bad.status == 2 && bad.err.contains("--precision: 'fp16' is not one of fp32, bf16"), "stderr: \(bad.err)")
}
