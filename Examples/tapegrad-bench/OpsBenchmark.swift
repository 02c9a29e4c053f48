import TapeGrad

/// `tapegrad-bench ops`: the tape's fixed cost per op. Each iteration records a chain of tiny
/// (4-element) ops on a fresh tape — add, mul, sigmoid, mul by a constant, sum — and takes
/// the gradient; the time per (forward + backward) op is total / (iterations × ops).
func runOpsBenchmark(_ raw: [String]) throws {
    let args = try Arguments(raw, options: ["iterations"], switches: ["json"])
    let iterations = try args.positiveInt("iterations", default: 200_000)!
    let json = args.has("json")
    let x0 = Tensor<Float>([0.1, -0.2, 0.3, 0.4])
    let y0 = Tensor<Float>([1.0, 2.0, -1.0, 0.5])
    let opsPerIteration = 5
    var sink = 0.0

    func once() {
        let tape = Tape<Float>()
        let x = tape.variable(x0, name: "x")
        let y = tape.variable(y0, name: "y")
        let a = x + y               // 1
        let b = a * x               // 2
        let c = sigmoid(b)          // 3
        let d = c * 2.0             // 4
        let loss = d.sum()          // 5
        let g = tape.gradients(of: loss, withRespectTo: [x, y])
        sink += Double(g[0].scalars[0])
    }
    for _ in 0..<min(iterations / 10, 10_000) { once() }   // warm-up
    var runs: [Double] = []
    for _ in 0..<5 {
        let start = now()
        for _ in 0..<iterations / 5 { once() }
        runs.append((now() - start) / Double(iterations / 5))
    }
    let perIteration = median(runs)
    let perOp = perIteration / Double(opsPerIteration) * 1e6
    if json {
        var o = JSONObject()
        o.set("benchmark", "ops")
        o.set("iterations", iterations)
        o.set("ops_per_iteration", opsPerIteration)
        o.set("microseconds_per_op", perOp)
        o.set("microseconds_per_iteration", perIteration * 1e6)
        print(o.text)
    } else {
        print(String(format: "%.3f µs per op (forward + backward), %.2f µs per %d-op step; checksum %.3g",
                     perOp, perIteration * 1e6, opsPerIteration, sink))
    }
}
