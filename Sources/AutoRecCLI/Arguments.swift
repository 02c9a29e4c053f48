import Foundation

/// A command-line usage error: an unknown flag, a missing or malformed value. The program
/// prints it as one line and exits with status 2.
public struct UsageError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The message.
    public var description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

/// An output path that cannot be written (no such directory, a directory, no permission): a
/// data error (exit status 1), like an input file that cannot be read.
struct OutputPathError: Error, CustomStringConvertible {
    /// The flag, without `--`.
    var flag: String
    /// The path as given.
    var path: String
    /// Why it cannot be written.
    var problem: String

    var description: String { "--\(flag): cannot write '\(path)': \(problem)" }

    /// Why `path` cannot be written, or nil when it can (as far as the file system says now).
    static func problem(writing path: String) -> String? {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if path.hasSuffix("/") || (manager.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue) {
            return "it is a directory; give a file name"
        }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        guard manager.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            return "the directory '\(directory)' does not exist"
        }
        guard isDirectory.boolValue else { return "'\(directory)' is not a directory" }
        // Files are written to a temporary file beside the target and renamed over it, so the
        // directory must be writable, not only the file.
        guard access(directory, W_OK | X_OK) == 0 else { return "no permission to write in '\(directory)'" }
        return nil
    }
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
                    let suggestion = closestWord(to: name, among: valued.union(switches).sorted())
                    throw UsageError("unknown option '\(a)'" + (suggestion.map { "; did you mean --\($0)?" } ?? ""))
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

    /// The value of an output flag, checked before any work is done: it must end in one of
    /// `extensions` (when given; else a usage error), name no directory, and lie in an existing
    /// directory this process may write (else an ``OutputPathError``), so a long run never ends
    /// with a file it cannot write.
    func outputPath(_ name: String, extensions: [String] = []) throws -> String? {
        guard let path = values[name] else { return nil }
        if !extensions.isEmpty, !extensions.contains(where: { path.lowercased().hasSuffix("." + $0) }) {
            throw UsageError("--\(name): '\(path)' does not end in \(extensions.map { "." + $0 }.joined(separator: " or "))"
                             + " (only \(extensions.map { $0.uppercased() }.joined(separator: ", ")) is written)")
        }
        if let problem = OutputPathError.problem(writing: path) { throw OutputPathError(flag: name, path: path, problem: problem) }
        return path
    }

    func choice<T: RawRepresentable & CaseIterable>(_ name: String, _: T.Type) throws(UsageError) -> T? where T.RawValue == String {
        guard let text = values[name] else { return nil }
        guard let v = T(rawValue: text) else {
            throw UsageError("--\(name): '\(text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return v
    }
}

/// The word of `candidates` a mistyped `word` most likely meant, for "did you mean" hints: the
/// first that starts with the same (up to) three letters, else the nearest within an edit distance of a
/// third of the word's length (at least 1, at most 3); nil when none is close.
func closestWord(to word: String, among candidates: [String]) -> String? {
    if !word.isEmpty, let sameStart = candidates.first(where: { $0.hasPrefix(word.prefix(3)) }) { return sameStart }
    let limit = min(3, max(1, word.count / 3))
    return candidates.map { ($0, editDistance(word, $0)) }.filter { $0.1 <= limit }.min { $0.1 < $1.1 }?.0
}

/// The Levenshtein distance: the fewest insertions, deletions and substitutions of characters
/// that turn `a` into `b`.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + [Int](repeating: 0, count: b.count)
        for j in 1...max(b.count, 1) where !b.isEmpty {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
