import Foundation

/// The `safetensors-writer` helper program (Examples/safetensors-writer), which the crash-safety
/// tests kill in the middle of a save. `swift build` and `swift test` build it next to the test
/// bundle; the environment variable SAFETENSORS_WRITER can point elsewhere. nil when absent.
public func safetensorsWriterHelper() -> URL? {
    if let path = ProcessInfo.processInfo.environment["SAFETENSORS_WRITER"] {
        return URL(fileURLWithPath: path)
    }
    let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var candidates = [me.deletingLastPathComponent().appendingPathComponent("safetensors-writer")]
    if let bundle = Bundle.main.executableURL {
        candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("safetensors-writer"))
    }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
}
