import Foundation
import TapeGrad

/// `tapegrad-bench matmul`: dense GEMM throughput, C = op(A)·op(B) for an m×k by k×n product,
/// through the same `Scalar.gemm` entry point every matmul op uses. Reports the median GFLOP/s
/// over repetitions; `--compare` runs numpy/OpenBLAS on the same shape and thread count in the
/// same run (reference/gemm_reference.py) and prints the ratio.
func runMatmulBenchmark(_ raw: [String]) throws {
    let args = try Arguments(raw, options: ["shape", "dtype", "threads", "reps", "transpose", "clock"], switches: ["json", "compare"])
    let shapeText = args.string("shape") ?? "1024x1024x1024"
    let dims = shapeText.split(separator: "x").map { Int($0) }
    guard dims.count == 3, dims.allSatisfy({ ($0 ?? 0) > 0 && $0! <= 65_536 }) else {
        throw UsageError("--shape needs MxKxN with positive sizes (e.g. 1024x1024x1024), got '\(shapeText)'")
    }
    let (m, k, n) = (dims[0]!, dims[1]!, dims[2]!)
    let dtype = args.string("dtype") ?? "float"
    guard dtype == "float" || dtype == "double" else { throw UsageError("--dtype must be float or double, got '\(dtype)'") }
    let transpose = args.string("transpose") ?? "NN"
    guard ["NN", "TN", "NT", "TT"].contains(transpose) else { throw UsageError("--transpose must be NN, TN, NT or TT") }
    let (ta, tb) = (transpose.first == "T", transpose.last == "T")
    let threads = try args.positiveInt("threads", default: Parallelism.defaultThreads)!
    let reps = try args.positiveInt("reps", default: 7)!
    // `cpu` times by the process's CPU seconds (all threads) on both sides: GFLOP per CPU-second
    // measures the kernels' efficiency when other processes leave the cores only part of the time.
    let clock = args.string("clock") ?? "wall"
    guard clock == "wall" || clock == "cpu" else { throw UsageError("--clock must be wall or cpu, got '\(clock)'") }
    func tick() -> Double { clock == "cpu" ? cpuSeconds() : now() }

    func measure<S: TensorScalar>(_: S.Type) -> [Double] {
        var g = SplitMix64(seed: 1)
        let a = Tensor<S>.uniform(ta ? [k, m] : [m, k], lower: -1, upper: 1, generator: &g)
        let b = Tensor<S>.uniform(tb ? [n, k] : [k, n], lower: -1, upper: 1, generator: &g)
        var c = [S](repeating: 0, count: m * n)
        var times = [Double]()
        for rep in 0...reps {  // the first run warms caches and the thread pool
            let start = tick()
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        S.gemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 1, a: pa.baseAddress!, lda: a.shape[1],
                               b: pb.baseAddress!, ldb: b.shape[1], beta: 0, c: pc.baseAddress!, ldc: n, threads: threads)
                    }
                }
            }
            if rep > 0 { times.append(tick() - start) }
        }
        return times
    }
    let times = dtype == "float" ? measure(Float.self) : measure(Double.self)
    let flops = 2.0 * Double(m) * Double(n) * Double(k)
    let gflops = flops / median(times) / 1e9

    var reference: Double?
    var referenceKernel = "unknown (threadpoolctl not installed)"
    if args.has("compare") {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("reference/gemm_reference.py").path
        // OpenBLAS reads its thread count at import; the machine's core-type overrides slow
        // current numpy down (see the env notes), so they are removed for this run only.
        let run = runPython([script, "--reps", "\(reps)", "--clock", clock, "--dtypes", dtype == "float" ? "float32" : "float64",
                             "--shape", "bench:\(ta ? "T" : "N"):\(tb ? "T" : "N"):\(m):\(k):\(n)"],
                            environment: ["OPENBLAS_NUM_THREADS": "\(threads)", "OPENBLAS_CORETYPE": nil, "OPENBLAS_L2_SIZE": nil])
        if let run, run.status == 0,
           let object = try? JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any],
           let results = object["results"] as? [[String: Any]], let value = results.first?["gflops"] as? Double {
            reference = value
            // Which OpenBLAS kernel (core type) numpy ran, as threadpoolctl reports it.
            if let libraries = object["openblas"] as? [[String: Any]] {
                let kernels = libraries.compactMap { lib -> String? in
                    guard let api = lib["internal_api"] as? String else { return nil }
                    return "\(api) \(lib["version"] as? String ?? "?") \(lib["architecture"] as? String ?? "?")"
                }
                if !kernels.isEmpty { referenceKernel = kernels.joined(separator: ", ") }
            }
        } else {
            printError("--compare: the numpy reference did not run (is numpy installed?); skipping it")
        }
    }

    if args.has("json") {
        var o = JSONObject()
        o.set("benchmark", "matmul")
        o.set("shape", shapeText)
        o.set("transpose", transpose)
        o.set("dtype", dtype)
        o.set("clock", clock)
        o.set("threads", threads)
        o.set("cpu_level", CPULevel.current.description)
        o.set("gflops", gflops)
        o.set("seconds", times)
        if let reference {
            o.set("numpy_gflops", reference)
            o.set("numpy_kernel", referenceKernel)
            o.set("ratio_to_numpy", gflops / reference)
        }
        print(o.text)
    } else {
        print(String(format: "%@ %@ %@, %d threads, kernels at %@: %.1f GFLOP/s%@ (median of %d)", shapeText, transpose,
                     dtype, threads, CPULevel.current.description, gflops, clock == "cpu" ? " per CPU-second" : "", reps))
        if let reference {
            print(String(format: "numpy/OpenBLAS (%@): %.1f GFLOP/s; TapeGrad reaches %.0f%% of it", referenceKernel,
                         reference, 100 * gflops / reference))
        }
    }
}
