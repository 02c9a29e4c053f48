import Foundation

/// Where the program writes: results to standard output, progress and errors to standard
/// error. A value so tests can capture both and run the program in-process.
public struct Console: Sendable {
    /// Writes to standard output.
    public var out: @Sendable (String) -> Void
    /// Writes to standard error.
    public var err: @Sendable (String) -> Void
    /// Whether standard error is a terminal (then progress is one live line).
    public var errIsTerminal: Bool
    /// Seconds between progress lines when standard error is not a terminal (a log file, a
    /// pipe, CI): a line every few seconds reads like other tools' logs, a line per epoch
    /// would be thousands. Each training run's end gets a line as well.
    public var progressInterval: Double

    /// Creates a console from writers.
    public init(out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void, errIsTerminal: Bool,
                progressInterval: Double = 5) {
        self.out = out
        self.err = err
        self.errIsTerminal = errIsTerminal
        self.progressInterval = progressInterval
    }

    /// The process's standard output and error.
    public static var standard: Console {
        Console(out: { FileHandle.standardOutput.write(Data($0.utf8)) },
                err: { FileHandle.standardError.write(Data($0.utf8)) },
                errIsTerminal: isatty(2) != 0)
    }
}

/// Collects a console's output in memory (for tests).
public final class CapturedConsole: @unchecked Sendable {
    private let lock = NSLock()
    private var outText = "", errText = ""

    /// Creates an empty capture.
    public init() {}

    /// Everything written to standard output.
    public var out: String { lock.withLock { outText } }
    /// Everything written to standard error.
    public var err: String { lock.withLock { errText } }

    /// A console that writes here.
    public var console: Console {
        Console(out: { s in self.lock.withLock { self.outText += s } },
                err: { s in self.lock.withLock { self.errText += s } },
                errIsTerminal: false)
    }
}
