import Foundation
import AutoRec
import TapeGrad

/// `tapegrad-bench sparse`: the three sparse products an AutoRec epoch is made of, timed one by
/// one on a synthetic rating pattern: spmm S·W (S instances × inputs, W inputs × k), spmm Sᵀ·H
/// (the transposed pattern, gathering instance rows) and sddmm (A·Bᵀ at the stored entries).
/// An I-AutoRec epoch runs the first twice (encoder forward, decoder input gradient), the second
/// twice (decoder and encoder weight gradients) and the third once (decoder forward).
/// Reports milliseconds per product and the rate at which gathered rows are consumed (GB/s of
/// k-wide rows: ratings × k × 4 bytes / time), the figure the kernels are bound by.
func runSparseBenchmark(_ raw: [String]) throws {
    let args = try Arguments(raw, options: ["shape", "model", "reps", "threads", "seed", "hidden"], switches: ["json"])
    let shapeText = args.string("shape") ?? "ml-1m"
    let (shape, kind) = try shapeAndModel(shapeText, args)
    let reps = try args.positiveInt("reps", default: 7)!
    let threads = try args.positiveInt("threads", default: Parallelism.defaultThreads)!
    let seed = UInt64(try args.positiveInt("seed", default: 1)!)
    let k = try args.positiveInt("hidden", default: 500)!
    let json = args.has("json")

    let s = InstanceMatrix(SyntheticRatings.generate(shape, seed: seed), kind: kind).matrix
    let st = s.transposed()
    var generator = SplitMix64(seed: seed)
    let w = Tensor<Float>.uniform([s.columns, k], lower: -0.05, upper: 0.05, generator: &generator)
    let h = Tensor<Float>.uniform([s.rows, k], lower: 0, upper: 1, generator: &generator)
    let gigabytes = Double(s.nonzeroCount) * Double(k) * 4 / 1e9

    var results: [(name: String, seconds: Double)] = []
    Parallelism.$threads.withValue(threads) {
        withDenormalsFlushedToZero {
            func time(_ name: String, _ body: () -> Tensor<Float>) {
                var times: [Double] = []
                var checksum: Float = 0
                for _ in 0..<reps {
                    let start = now()
                    let out = body()
                    times.append(now() - start)
                    checksum += out.scalars[out.scalars.count / 2]
                }
                results.append((name, median(times)))
                if !json {
                    print(String(format: "  %-34@ %8.2f ms  %6.1f GB/s gathered  (checksum %.3g)",
                                 name as NSString, median(times) * 1e3, gigabytes / median(times), Double(checksum)))
                }
            }
            if !json {
                print("pattern \(s.rows) × \(s.columns), \(s.nonzeroCount) entries, k = \(k), \(threads) thread\(threads == 1 ? "" : "s"), median of \(reps)")
            }
            time("spmm S·W (gathers input rows)") { matmul(s, w) }
            time("spmm Sᵀ·H (gathers instance rows)") { matmul(st, h) }
            time("sddmm (H·Wᵀ)[S]") { sampledMatmul(h, w, transposeB: true, at: s) }
        }
    }
    if json {
        var o = JSONObject()
        o.set("benchmark", "sparse")
        o.set("shape", shapeText)
        o.set("entries", s.nonzeroCount)
        o.set("hidden", k)
        o.set("threads", threads)
        for (name, seconds) in results {
            let key = name.hasPrefix("spmm S·W") ? "spmm_seconds" : name.hasPrefix("spmm Sᵀ") ? "spmm_transposed_seconds" : "sddmm_seconds"
            o.set(key, seconds)
        }
        print(o.text)
    }
}
