#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Monotonic seconds.
func now() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}

/// CPU seconds (user + system, all threads) the process has used so far.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// The process's peak resident set size (VmHWM of /proc/self/status) in bytes, nil if unknown.
func peakResidentBytes() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        // "VmHWM:\t  182000 kB": the padding before the number may be a tab only.
        let parts = line.split(omittingEmptySubsequences: true, whereSeparator: { $0 == " " || $0 == "\t" })
        if parts.count >= 2, let kb = Int(parts[1]) { return kb * 1024 }
    }
    return nil
}

/// The median (NaN when empty).
func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// A flat JSON object built in insertion order (numbers, strings, number arrays).
struct JSONObject {
    private var fields: [(String, String)] = []

    mutating func set(_ key: String, _ value: Double) { fields.append((key, number(value))) }
    mutating func set(_ key: String, _ value: Int) { fields.append((key, String(value))) }
    mutating func set(_ key: String, _ value: String) { fields.append((key, quote(value))) }
    mutating func set(_ key: String, _ values: [Double]) {
        fields.append((key, "[" + values.map(number).joined(separator: ", ") + "]"))
    }
    mutating func setNull(_ key: String) { fields.append((key, "null")) }

    var text: String {
        "{" + fields.map { "\(quote($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }

    private func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
    private func quote(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default:
                if c.value < 0x20 { out += String(format: "\\u%04x", c.value) } else { out.unicodeScalars.append(c) }
            }
        }
        return out + "\""
    }
}

/// Formats a byte count as MB/GB.
func formatBytes(_ bytes: Int?) -> String {
    guard let bytes else { return "unknown" }
    let b = Double(bytes)
    return b >= 1e9 ? String(format: "%.2f GB", b / 1e9) : String(format: "%.0f MB", b / 1e6)
}

/// Runs `python3` with arguments (and extra environment variables, or some removed) in a
/// child process for a side-by-side reference; nil if it cannot start. Standard error is
/// discarded, standard output returned.
func runPython(_ arguments: [String], environment changes: [String: String?] = [:]) -> (status: Int32, output: String)? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3"] + arguments
    var environment = ProcessInfo.processInfo.environment
    for (key, value) in changes { environment[key] = value }
    p.environment = environment
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}
