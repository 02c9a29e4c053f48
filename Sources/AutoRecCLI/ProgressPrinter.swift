import Foundation
import AutoRec

/// Training progress on standard error: a live line redrawn in place on a terminal, plain
/// lines (every 10th epoch and each run's last) otherwise, nothing with `--quiet`.
final class ProgressPrinter: @unchecked Sendable {
    private let console: Console
    private let quiet: Bool
    private let prefix: String
    private var lastLine: String?
    private var pending: String?
    private var lastRun = 0

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
        if console.errIsTerminal {
            console.err("\r\u{1B}[2K" + line)
            lastLine = line
        } else {
            if p.run != lastRun, let pending { console.err(pending + "\n") }
            lastRun = p.run
            if r.epoch == 1 || r.epoch % 10 == 0 {
                console.err(line + "\n")
                pending = nil
            } else {
                pending = line
            }
        }
        return true
    }

    /// Ends the live line (or prints the last plain one).
    func finish() {
        guard !quiet else { return }
        if console.errIsTerminal, lastLine != nil { console.err("\n") }
        if let pending { console.err(pending + "\n") }
        pending = nil
    }
}
