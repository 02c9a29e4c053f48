import Foundation
import Testing
import TapeGradLayers
@testable import AutoRec
import TapeGradFormats

// Inputs from the fuzzing work (Tests/Fuzz, .ci/fuzz; Docs/Reliability.md) kept as byte arrays.
// Each must be rejected with the reader's own error type (or parse), never trap.

/// Parses `bytes` with every reader entry point that takes memory; returns the errors' texts.
private func replay(_ bytes: [UInt8]) -> [String] {
    var messages: [String] = []
    do { _ = try RatingsFile.parse(bytes, name: "r") } catch let e as DataFileError { messages.append(e.description) } catch {
        Issue.record("ratings: unexpected error type \(error)")
    }
    do { _ = try MovieTitles.parse(bytes, name: "t") } catch let e as DataFileError { messages.append(e.description) } catch {
        Issue.record("titles: unexpected error type \(error)")
    }
    do { _ = try SafeTensors(serialized: bytes, source: "s") } catch { messages.append(error.description) }
    return messages
}

@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    /// Small inputs at the edges of the readers' fast and general paths.
    static let inputs: [[UInt8]] = [
        [13],                                            // a lone CR
        [0xEF, 0xBB],                                    // half a BOM
        [0xEF, 0xBB, 0xBF, 0x0D, 0x0A, 0x31],            // BOM, CRLF, "1"
        Array("1 2 3\r".utf8),                           // CR without LF at the end
        Array("1 2 3.\n".utf8),                          // a point without decimals
        Array("1 2 .\n".utf8),
        Array("1 2 3 -\n".utf8),                         // a bare minus as timestamp
        Array("1 2 3 -5\n".utf8),                        // negative timestamps are integers
        Array("123456789012345678 1 1\n1234567890123456789 2 2\n".utf8),  // 18 and 19 digits
        Array("9223372036854775808 1 1\n".utf8),         // Int64.max + 1
        Array("1::2::3::\n".utf8),
        Array(":::::: \n".utf8),
        Array("1,\"2\",3\n".utf8),
        Array("\"\n".utf8),
        Array("1|\n".utf8),
        Array("a,b\n\"".utf8),
        [8, 0, 0, 0, 0, 0, 0, 0] + Array("{\"a\":1}".utf8),          // header shorter than claimed
        [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],          // header length UInt64.max
        [2, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8),               // the empty checkpoint (valid)
        [64, 0, 0, 0, 0, 0, 0, 0] + Array(#"{"t":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}}"#.utf8),
        [63, 0, 0, 0, 0, 0, 0, 0] + Array(#"{"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}    "#.utf8),
        [66, 0, 0, 0, 0, 0, 0, 0] + Array(String(repeating: "[", count: 66).utf8),  // deep nesting
    ]

    @Test("edge inputs: every reader answers with its own error or a value", arguments: inputs.indices)
    func edgeInput(index: Int) {
        let messages = replay(Self.inputs[index])
        for m in messages { #expect(m.hasPrefix("r:") || m.hasPrefix("t:") || m.hasPrefix("safetensors file 's'"), "\(m)") }
    }

    @Test("model files with an impossible configuration are refused, not trapped on")
    func impossibleConfigurations() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/m.safetensors"
        let split = smallSplit()
        var options = quickOptions()
        options.maxEpochs = 2
        let fit = try AutoRecFitter(configuration: AutoRecConfiguration(hidden: [4]), options: options).fit(split.train, scale: split.scale)
        try ModelFile(recommender: fit.recommender).write(to: path)
        let base = try SafeTensors(contentsOf: URL(fileURLWithPath: path))
        let configurations = [
            #"{"kind":"item","hidden":[4],"hiddenActivation":"sigmoid","outputActivation":"identity","lambda":1,"hiddenDropout":1.5}"#,
            #"{"kind":"item","hidden":[4],"hiddenActivation":"sigmoid","outputActivation":"identity","lambda":1,"hiddenDropout":-1}"#,
            #"{"kind":"item","hidden":[0],"hiddenActivation":"sigmoid","outputActivation":"identity","lambda":1}"#,
            #"{"kind":"item","hidden":[],"hiddenActivation":"sigmoid","outputActivation":"identity","lambda":1}"#,
            #"{"kind":"item","hidden":[-4],"hiddenActivation":"sigmoid","outputActivation":"identity","lambda":1}"#,
            #"{"kind":"item","hidden":[4611686018427387904],"hiddenActivation":"sigmoid","outputActivation":"identity","lambda":1}"#,
            #"{"kind":"sideways","hidden":[4],"hiddenActivation":"sigmoid","outputActivation":"identity","lambda":1}"#,
            #"{"kind":"item","hidden":[4],"hiddenActivation":"sigmoid","outputActivation":"identity"}"#,
            #"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"#,
        ]
        let bad = dir.path + "/bad.safetensors"
        for json in configurations {
            var file = base
            file.metadata["configuration"] = json
            try file.write(to: URL(fileURLWithPath: bad))
            do {
                _ = try ModelFile(contentsOf: bad)
                Issue.record("loaded with configuration \(json)")
            } catch {
                #expect(error.description.hasPrefix(bad), "\(error)")
            }
        }
    }
}
