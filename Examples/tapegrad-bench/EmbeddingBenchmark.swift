import TapeGrad

/// `tapegrad-bench embedding`: the row gather (embedding lookup) of a batch of ids from a
/// rows × dim Float table, forward and backward. The backward pass is a scatter-add of
/// batch × dim elements into a dense, table-sized gradient, so its floor is zero-filling that
/// gradient: the benchmark times that fill (a fresh zeroed array of rows × dim) in the same run,
/// and what the backward pass costs beyond it is the scatter, which should not grow with rows.
func runEmbeddingBenchmark(_ raw: [String]) throws {
    let args = try Arguments(raw, options: ["table", "batch", "reps", "threads"], switches: ["json"])
    let tableText = args.string("table") ?? "100000x64"
    let dims = tableText.split(separator: "x").map { Int($0) }
    guard dims.count == 2, dims.allSatisfy({ ($0 ?? 0) > 0 }), dims[0]! * dims[1]! <= 1 << 30 else {
        throw UsageError("--table needs ROWSxDIM with positive sizes (e.g. 100000x64), got '\(tableText)'")
    }
    let (rows, dim) = (dims[0]!, dims[1]!)
    let batch = try args.positiveInt("batch", default: 1024)!
    let reps = try args.positiveInt("reps", default: 21)!
    let threads = try args.positiveInt("threads", default: Parallelism.defaultThreads)!

    var g = SplitMix64(seed: 1)
    let table = Tensor<Float>.uniform([rows, dim], lower: -1, upper: 1, generator: &g)
    let ids = (0..<batch).map { _ in Int32(g.nextInt(below: rows)) }
    let seed = Tensor<Float>.ones([batch, dim])
    var forward = [Double](), backward = [Double](), fill = [Double]()
    var sink: Float = 0
    Parallelism.$threads.withValue(threads) {
        for rep in 0...reps {  // the first run warms caches and the allocator
            let zeroStart = now()
            let zeros = [Float](repeating: 0, count: rows * dim)
            let zeroTime = now() - zeroStart
            sink += zeros[rows * dim - 1]
            let tape = Tape<Float>()
            let w = tape.variable(table)
            let start = now()
            let y = gather(w, at: ids)
            let middle = now()
            let grad = tape.gradients(of: y, withRespectTo: [w], seed: seed)[0]
            let end = now()
            sink += y.value.scalars[0] + grad.scalars[Int(ids[0]) * dim]
            if rep > 0 {
                forward.append(middle - start)
                backward.append(end - middle)
                fill.append(zeroTime)
            }
        }
    }
    let (f, b, z) = (median(forward) * 1e6, median(backward) * 1e6, median(fill) * 1e6)
    if args.has("json") {
        var o = JSONObject()
        o.set("benchmark", "embedding")
        o.set("table", tableText)
        o.set("batch", batch)
        o.set("threads", threads)
        o.set("forward_microseconds", f)
        o.set("backward_microseconds", b)
        o.set("zero_fill_microseconds", z)
        o.set("backward_minus_fill_microseconds", b - z)
        print(o.text)
    } else {
        print(String(format: "table %@ (%.1f MB), batch %d, %d threads: forward %.1f µs, backward %.1f µs, zero-filling the gradient alone %.1f µs (backward − fill %.1f µs); median of %d; checksum %.3g",
                     tableText, Double(rows * dim * 4) / 1e6, batch, threads, f, b, z, b - z, reps, Double(sink)))
    }
}
