/// A command-line usage error: an unknown flag, a missing or malformed value. The program
/// prints it as one line and exits with status 2.
public struct UsageError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The message.
    public var description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

/// The flags of one command, parsed from `--name value` and `--flag` arguments.
///
/// Hand-written (the package has no dependencies): every flag must be declared, so a typo is an
/// error rather than silently ignored, and every value is converted with a message naming the
/// flag and the bad text.
struct Arguments {
    private var values: [String: String] = [:]
    private var flags: Set<String> = []
    private(set) var positional: [String] = []

    /// Parses `arguments` given the flags that take a value and those that do not.
    init(_ arguments: [String], valued: Set<String>, switches: Set<String>) throws(UsageError) {
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a.hasPrefix("--") {
                var name = String(a.dropFirst(2)), inline: String?
                if let eq = name.firstIndex(of: "=") {
                    inline = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                if switches.contains(name) {
                    guard inline == nil else { throw UsageError("--\(name) takes no value") }
                    flags.insert(name)
                } else if valued.contains(name) {
                    guard let value = inline ?? (i + 1 < arguments.count ? arguments[i + 1] : nil) else {
                        throw UsageError("--\(name) needs a value")
                    }
                    if inline == nil { i += 1 }
                    guard values[name] == nil else { throw UsageError("--\(name) is given twice") }
                    values[name] = value
                } else {
                    let known = (valued.union(switches)).sorted().map { "--" + $0 }
                    let suggestion = known.first { $0.hasPrefix("--" + name.prefix(3)) }
                    throw UsageError("unknown option '\(a)'" + (suggestion.map { "; did you mean \($0)?" } ?? ""))
                }
            } else {
                positional.append(a)
            }
            i += 1
        }
    }

    func has(_ name: String) -> Bool { flags.contains(name) }
    func string(_ name: String) -> String? { values[name] }

    func int(_ name: String, range: ClosedRange<Int> = 1...Int.max) throws(UsageError) -> Int? {
        guard let text = values[name] else { return nil }
        guard let v = Int(text), range.contains(v) else {
            throw UsageError("--\(name): '\(text)' is not a whole number in \(range.lowerBound)...\(range.upperBound == Int.max ? "" : String(range.upperBound))")
        }
        return v
    }

    func double(_ name: String, range: ClosedRange<Double>) throws(UsageError) -> Double? {
        guard let text = values[name] else { return nil }
        guard let v = Double(text), v.isFinite, range.contains(v) else {
            throw UsageError("--\(name): '\(text)' is not a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    func choice<T: RawRepresentable & CaseIterable>(_ name: String, _: T.Type) throws(UsageError) -> T? where T.RawValue == String {
        guard let text = values[name] else { return nil }
        guard let v = T(rawValue: text) else {
            throw UsageError("--\(name): '\(text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return v
    }
}
