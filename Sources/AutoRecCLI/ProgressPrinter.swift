import Foundation
import AutoRec

/// Training progress on standard error: a live line redrawn in place on a terminal; otherwise
/// plain lines, one every ``Console/progressInterval`` seconds and one at each run's end;
/// nothing with `--quiet`.
final class ProgressPrinter: @unchecked Sendable {
    private let console: Console
    private let quiet: Bool
    private let prefix: String
    private var lastLine: String?
    /// When the last plain line was written (uptime seconds), nil before the first.
    private var lastTime: Double?

    init(console: Console, quiet: Bool, prefix: String) {
        self.console = console
        self.quiet = quiet
        self.prefix = prefix
    }

    /// The fitter's callback; always continues.
    func report(_ p: FitProgress) -> Bool {
        guard !quiet else { return true }
        let r = p.record
        let validation = r.validation.map { String(format: "  val RMSE %.4f", $0) } ?? ""
        let eta = Double(p.maxEpochs - r.epoch) * r.seconds
        let line = prefix + String(format: "[%@ %d/%d λ=%@] epoch %d/%d  loss %.5g%@  %.3fs  ETA ≤ %.0fs",
                                   p.phase, p.run, p.runs, AutoRecCommand.formatLambda(p.lambda), r.epoch, p.maxEpochs,
                                   r.trainLoss, validation, r.seconds, eta)
        let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        if console.errIsTerminal {
            guard !p.runEnded else { return true }
            console.err("\r\u{1B}[2K" + line)
            lastLine = line
        } else if p.runEnded ? line != lastLine : now - (lastTime ?? -.infinity) >= console.progressInterval {
            console.err(line + "\n")
            lastLine = line
            lastTime = now
        }
        return true
    }

    /// Ends the live line on a terminal.
    func finish() {
        guard !quiet else { return }
        if console.errIsTerminal, lastLine != nil { console.err("\n") }
        lastLine = nil
    }
}
