#if canImport(Glibc)
import Glibc
#endif

/// A command-line mistake: reported on one stderr line, exit status 2.
struct UsageError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count) }
}

/// Hand-written flag parsing: `--name value` options and `--flag` switches, nothing else.
struct Arguments {
    private var options: [String: String] = [:]
    private var switches: Set<String> = []

    /// Parses `arguments`, accepting only the listed option and switch names (without `--`).
    init(_ arguments: [String], options allowedOptions: Set<String>, switches allowedSwitches: Set<String>) throws {
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            guard a.hasPrefix("--") else { throw UsageError("unexpected argument '\(a)'") }
            var name = String(a.dropFirst(2))
            var inlineValue: String?
            if let eq = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if allowedSwitches.contains(name), inlineValue == nil {
                switches.insert(name)
            } else if allowedOptions.contains(name) {
                if let inlineValue {
                    options[name] = inlineValue
                } else {
                    guard i + 1 < arguments.count else { throw UsageError("--\(name) needs a value") }
                    i += 1
                    options[name] = arguments[i]
                }
            } else {
                throw UsageError("unknown flag '\(a)'")
            }
            i += 1
        }
    }

    func has(_ name: String) -> Bool { switches.contains(name) }

    func string(_ name: String) -> String? { options[name] }

    /// A positive integer option, or `default` when absent.
    func positiveInt(_ name: String, default value: Int?) throws -> Int? {
        guard let text = options[name] else { return value }
        guard let n = Int(text.filter { $0 != "_" }), n > 0 else {
            throw UsageError("--\(name) needs a positive integer, got '\(text)'")
        }
        return n
    }
}
