#if canImport(Foundation)
import Foundation
#endif

/// How many threads the kernels may use.
///
/// A task-local value rather than a global variable: Swift 6 forbids unsynchronised global
/// mutable state, and a scoped setting composes (a benchmark can compare 1 and 2 threads in one
/// process, a test can pin one thread without affecting tests running beside it).
///
/// ```swift
/// Parallelism.$threads.withValue(1) { train() }
/// ```
public enum Parallelism {
    /// The thread count in effect for kernels called in this scope. Defaults to the
    /// `TAPEGRAD_THREADS` environment variable, or else the number of active processors.
    @TaskLocal public static var threads: Int = defaultThreads

    /// The default thread count, read once from the environment.
    public static let defaultThreads: Int = {
        #if canImport(Foundation)
        if let text = ProcessInfo.processInfo.environment["TAPEGRAD_THREADS"], let n = Int(text), n > 0 {
            return n
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
        #else
        return 1
        #endif
    }()

    /// Splits `0..<count` into at most `threads` contiguous chunks of at least `grain` items and
    /// runs `body` on each chunk, in parallel when there is more than one.
    ///
    /// Contiguous chunks keep each thread's writes in its own region of the output, so kernels
    /// need no locks and results do not depend on scheduling.
    public static func forChunks(_ count: Int, grain: Int = 1, threads: Int = Parallelism.threads,
                                 _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = max(1, min(threads, count / max(grain, 1)))
        if chunks == 1 { body(0..<count); return }
        parallelFor(chunks, threads: chunks) { c in
            let start = count * c / chunks
            let end = count * (c + 1) / chunks
            body(start..<end)
        }
    }
}
