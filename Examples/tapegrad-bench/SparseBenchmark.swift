import Foundation
import AutoRec
import TapeGrad

/// `tapegrad-bench sparse`: the sparse products an AutoRec epoch is made of, timed one by
/// one on a synthetic rating pattern: spmm S·W (S instances × inputs, W inputs × k), spmm Sᵀ·H
/// (the transposed pattern, gathering instance rows), sddmm (A·Bᵀ at the stored entries) and
/// the fused decoder + loss (sddmm and the hidden gradient in one pass, forward and backward).
/// An I-AutoRec epoch runs the first once (encoder forward), the second twice (decoder and
/// encoder weight gradients) and the fused one once; the plain sddmm is the unfused decoder.
/// `--precision bf16` gathers from bfloat16 copies (the conversion is included in the times);
/// `--precision both` alternates fp32 and bf16 in one run and prints the ratio per round.
/// Reports milliseconds per product and the rate at which gathered rows are consumed (GB/s of
/// k-wide rows: ratings × k × 4 bytes / time), the figure the kernels are bound by.
func runSparseBenchmark(_ raw: [String]) throws {
    let args = try Arguments(raw, options: ["shape", "model", "reps", "threads", "seed", "hidden", "precision"], switches: ["json"])
    let shapeText = args.string("shape") ?? "ml-1m"
    let (shape, kind) = try shapeAndModel(shapeText, args)
    let reps = try args.positiveInt("reps", default: 7)!
    let threads = try args.positiveInt("threads", default: Parallelism.defaultThreads)!
    let seed = UInt64(try args.positiveInt("seed", default: 1)!)
    let k = try args.positiveInt("hidden", default: 500)!
    let precisions: [Precision] = args.string("precision") == "both" ? [.fp32, .bf16] : [try parsePrecision(args)]
    let json = args.has("json")

    let s = InstanceMatrix(SyntheticRatings.generate(shape, seed: seed), kind: kind).matrix
    let st = s.transposed()
    var generator = SplitMix64(seed: seed)
    let w = Tensor<Float>.uniform([s.columns, k], lower: -0.05, upper: 0.05, generator: &generator)
    let h = Tensor<Float>.uniform([s.rows, k], lower: 0, upper: 1, generator: &generator)
    let bias = Tensor<Float>.uniform([s.columns], lower: -0.05, upper: 0.05, generator: &generator)
    let gigabytes = Double(s.nonzeroCount) * Double(k) * 4 / 1e9

    // Each product in each precision once per round, alternating, so that both precisions see
    // the same machine (timings on a shared machine drift within seconds).
    let products: [(name: String, key: String, run: (Precision) -> Tensor<Float>)] = [
        ("spmm S·W (gathers input rows)", "spmm", { matmul(s, w, precision: $0) }),
        ("spmm Sᵀ·H (gathers instance rows)", "spmm_transposed", { matmul(st, h, precision: $0) }),
        ("sddmm (H·Wᵀ)[S]", "sddmm", { sampledMatmul(h, w, transposeB: true, at: s, precision: $0) }),
        // Forward and the gradient with respect to H only: the fused kernel, as in training.
        ("fused decoder + loss (residual, ∂H)", "fused", { precision in
            let tape = Tape<Float>()
            let (hv, wv, bv) = (tape.variable(h), tape.variable(w), tape.variable(bias))
            let loss = sampledAffineSquareLoss(hv, wv, bias: bv, targets: s, precision: precision)
            return tape.gradients(of: loss, withRespectTo: [hv])[0]
        }),
    ]
    var wall = [[Double]](repeating: [], count: products.count * precisions.count)
    var cpu = wall
    var checksums = [Float](repeating: 0, count: wall.count)
    Parallelism.$threads.withValue(threads) {
        withDenormalsFlushedToZero {
            for _ in 0..<reps {
                for (i, product) in products.enumerated() {
                    for (j, precision) in precisions.enumerated() {
                        let start = now(), cpuStart = cpuSeconds()
                        let out = product.run(precision)
                        wall[i * precisions.count + j].append(now() - start)
                        cpu[i * precisions.count + j].append(cpuSeconds() - cpuStart)
                        checksums[i * precisions.count + j] += out.scalars[out.scalars.count / 2]
                    }
                }
            }
        }
    }
    if json {
        var o = JSONObject()
        o.set("benchmark", "sparse")
        o.set("shape", shapeText)
        o.set("entries", s.nonzeroCount)
        o.set("hidden", k)
        o.set("threads", threads)
        o.set("cpu_level", CPULevel.current.description)
        for (i, product) in products.enumerated() {
            for (j, precision) in precisions.enumerated() {
                let suffix = precision == .fp32 ? "" : "_\(precision.rawValue)"
                o.set("\(product.key)\(suffix)_seconds", median(wall[i * precisions.count + j]))
                o.set("\(product.key)\(suffix)_cpu_seconds", median(cpu[i * precisions.count + j]))
            }
        }
        print(o.text)
    } else {
        print("pattern \(s.rows) × \(s.columns), \(s.nonzeroCount) entries, k = \(k), \(threads) thread\(threads == 1 ? "" : "s"), "
              + "kernels \(CPULevel.current), median of \(reps) (CPU: all threads; GB/s: Float rows)")
        for (i, product) in products.enumerated() {
            for (j, precision) in precisions.enumerated() {
                let (t, c) = (median(wall[i * precisions.count + j]), median(cpu[i * precisions.count + j]))
                var line = String(format: "  %-36@ %@ %8.2f ms (CPU %8.2f ms)  %6.1f GB/s  (checksum %.3g)",
                                  product.name as NSString, precision.rawValue as NSString, t * 1e3, c * 1e3, gigabytes / t,
                                  Double(checksums[i * precisions.count + j]))
                if j > 0 {
                    let pairs = zip(wall[i * precisions.count], wall[i * precisions.count + j]).map { $0 / $1 }
                    line += String(format: "  fp32/%@ %.2f× (rounds %.2f–%.2f)", precision.rawValue as NSString,
                                   median(pairs), pairs.min()!, pairs.max()!)
                }
                print(line)
            }
        }
    }
}
