// Parallel.swift: the one threading primitive the dense kernels use.
//
// Kernels split their work into a small, known number of independent pieces (one per worker, or
// one per cache block) and need all of them done before they go on. Dispatch's
// `concurrentPerform` gives exactly that fork/join on its shared thread pool, with no thread
// creation per call and no global state of our own.

import Dispatch

/// Fork/join over `count` independent pieces of work, so kernels can use the machine's cores
/// without owning threads or any global state.
///
/// Pieces are handed out in contiguous, equally sized runs, one run per worker, so that a worker
/// touches neighbouring data (better cache and TLB locality than round-robin) and the split is
/// deterministic. Runs inline on the calling thread when `threads <= 1` or `count <= 1`, because
/// waking the pool then costs more than it can save. The call returns only after every `body(i)`
/// has returned; `body` must be safe to call concurrently for different `i`.
public func parallelFor(_ count: Int, threads: Int, _ body: (Int) -> Void) {
    if count <= 0 { return }
    let workers = min(threads, count)
    if workers <= 1 {
        for i in 0..<count { body(i) }
        return
    }
    // `concurrentPerform` wants a @Sendable closure, but kernels capture unsafe pointers (not
    // Sendable) into disjoint parts of their buffers. The contract above (body safe to call
    // concurrently) is exactly what Sendable would promise, and `concurrentPerform` joins before
    // returning, so the non-escaping closure never outlives this call.
    // Workers run in the caller's denormal mode (see Denormals.swift), whatever their pool
    // thread was set to before; their own mode is restored afterwards.
    let flushing = denormalMode()
    withoutActuallyEscaping(body) { escapable in
        let shared = ParallelForBody(run: escapable)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let previous = denormalMode()
            if previous != flushing { setDenormalMode(flushing: flushing) }
            defer { if previous != flushing { setDenormalMode(flushing: previous) } }
            let start = w * count / workers
            let end = (w + 1) * count / workers
            for i in start..<end { shared.run(i) }
        }
    }
}

/// Carries a caller's non-Sendable loop body across the fork/join of `parallelFor`.
struct ParallelForBody: @unchecked Sendable {
    let run: (Int) -> Void
}
