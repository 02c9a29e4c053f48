// Tests for the tiled sparse kernels (Kernels.spmm, Kernels.sddmm): with tilings small enough
// that every path runs on small data (several column blocks and row groups, rows empty in some
// blocks, hidden sizes that exercise the 128/64/16-wide chunks and the scalar tail), results must
// be bit-identical to a plain row-by-row loop and to the untiled kernel, for 1 and 2 threads.
// With a bfloat16 copy of the gathered operand (Precision.bf16), the same holds against the
// loop run on the operand rounded to bfloat16: widening is exact and the arithmetic is Float.

import Foundation
import Testing
@testable import TapeGrad

/// A random CSR pattern with skewed rows (some empty, some dense) and values in [-1, 1).
private func skewedPattern(rows: Int, columns: Int, seed: UInt64) -> SparseMatrix<Float> {
    var g = SplitMix64(seed: seed)
    var (rowIndices, columnIndices, values) = ([Int](), [Int](), [Float]())
    for r in 0..<rows {
        let density = r % 7 == 3 ? 0 : (r % 5 == 0 ? 0.8 : 0.1)
        for c in 0..<columns where g.nextUnit() < density {
            rowIndices.append(r)
            columnIndices.append(c)
            values.append(Float(g.nextUnit() * 2 - 1))
        }
    }
    return SparseMatrix(rows: rows, columns: columns, rowIndices: rowIndices, columnIndices: columnIndices, values: values)
}

private func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor<Float> {
    var g = SplitMix64(seed: seed)
    return Tensor<Float>.uniform(shape, lower: -1, upper: 1, generator: &g)
}

/// spmm as the kernels define it: each output element sums its row's entries in storage order.
private func naiveSpmm(_ s: SparseMatrix<Float>, _ w: Tensor<Float>) -> [Float] {
    let k = w.shape[1]
    var y = [Float](repeating: 0, count: s.rows * k)
    for r in 0..<s.rows {
        for p in s.rowPointers[r]..<s.rowPointers[r + 1] {
            let c = Int(s.columnIndices[p])
            for j in 0..<k { y[r * k + j] += s.values[p] * w.scalars[c * k + j] }
        }
    }
    return y
}

/// The tensor rounded to bfloat16, as Float: what a bf16 product reads.
func roundedToBFloat16(_ t: Tensor<Float>) -> Tensor<Float> {
    Tensor(shape: t.shape, scalars: t.scalars.map(BFloat16.rounded))
}

private func tiledSpmm(_ s: SparseMatrix<Float>, _ w: Tensor<Float>, tiling: Kernels.SparseTiling?, threads: Int,
                       precision: Precision = .fp32) -> [Float] {
    let k = w.shape[1]
    let bits = w.scalars.map(BFloat16.bits)
    return Parallelism.$threads.withValue(threads) {
        [Float](unsafeUninitializedCapacity: s.rows * k) { y, count in
            s.rowPointers.withUnsafeBufferPointer { rp in
                s.columnIndices.withUnsafeBufferPointer { ci in
                    s.values.withUnsafeBufferPointer { v in
                        w.scalars.withUnsafeBufferPointer { pw in
                            bits.withUnsafeBufferPointer { pb in
                                Kernels.spmm(rowPointers: rp.baseAddress!, columnIndices: ci.baseAddress!, values: v.baseAddress!,
                                             rows: s.rows, w: pw.baseAddress!, wRows: s.columns, k: k, y: y.baseAddress!,
                                             wBFloat16: precision == .bf16 ? pb.baseAddress! : nil, tiling: tiling)
                            }
                        }
                    }
                }
            }
            count = s.rows * k
        }
    }
}

private func tiledSddmm(_ s: SparseMatrix<Float>, _ a: Tensor<Float>, _ b: Tensor<Float>, tiling: Kernels.SparseTiling?,
                        threads: Int, precision: Precision = .fp32) -> [Float] {
    let k = a.shape[1]
    let bits = b.scalars.map(BFloat16.bits)
    return Parallelism.$threads.withValue(threads) {
        [Float](unsafeUninitializedCapacity: s.nonzeroCount) { out, count in
            s.rowPointers.withUnsafeBufferPointer { rp in
                s.columnIndices.withUnsafeBufferPointer { ci in
                    a.scalars.withUnsafeBufferPointer { pa in
                        b.scalars.withUnsafeBufferPointer { pb in
                            bits.withUnsafeBufferPointer { ph in
                                Kernels.sddmm(rowPointers: rp.baseAddress!, columnIndices: ci.baseAddress!, rows: s.rows,
                                              columns: s.columns, a: pa.baseAddress!, b: pb.baseAddress!, k: k,
                                              out: out.baseAddress!, bBFloat16: precision == .bf16 ? ph.baseAddress! : nil,
                                              tiling: tiling)
                            }
                        }
                    }
                }
            }
            count = s.nonzeroCount
        }
    }
}

@Test("tiled spmm is bit-identical to a row-by-row loop for every tiling, hidden size and thread count",
      arguments: [1, 15, 16, 37, 64, 200, 500])
func tiledSpmmMatchesRowLoop(k: Int) {
    let s = skewedPattern(rows: 90, columns: 150, seed: UInt64(k))
    let w = randomTensor([150, k], seed: 100 + UInt64(k))
    let expected = naiveSpmm(s, w)
    let tilings: [Kernels.SparseTiling?] = [nil, .init(blockColumns: 16, groupRows: 7), .init(blockColumns: 33, groupRows: 1),
                                            .init(blockColumns: 150, groupRows: 90), .init(blockColumns: 1, groupRows: 200)]
    let expectedBFloat16 = naiveSpmm(s, roundedToBFloat16(w))
    for tiling in tilings {
        for threads in [1, 2] {
            let got = tiledSpmm(s, w, tiling: tiling, threads: threads)
            #expect(got == expected, "k \(k), tiling \(String(describing: tiling)), \(threads) threads")
            let gotBFloat16 = tiledSpmm(s, w, tiling: tiling, threads: threads, precision: .bf16)
            #expect(gotBFloat16 == expectedBFloat16, "bf16, k \(k), tiling \(String(describing: tiling)), \(threads) threads")
        }
    }
}

@Test("tiled sddmm is bit-identical to one dot product per entry for every tiling and thread count",
      arguments: [1, 15, 37, 64, 200, 500])
func tiledSddmmMatchesDots(k: Int) {
    let s = skewedPattern(rows: 60, columns: 110, seed: 7 + UInt64(k))
    let a = randomTensor([60, k], seed: 200 + UInt64(k))
    let b = randomTensor([110, k], seed: 300 + UInt64(k))
    var expected: [Float] = []
    a.scalars.withUnsafeBufferPointer { pa in
        b.scalars.withUnsafeBufferPointer { pb in
            for r in 0..<s.rows {
                for p in s.rowPointers[r]..<s.rowPointers[r + 1] {
                    expected.append(Kernels.dot(pa.baseAddress! + r * k, pb.baseAddress! + Int(s.columnIndices[p]) * k, k))
                }
            }
        }
    }
    // And the dot products are right (to rounding), not merely consistent.
    var q = 0
    for r in 0..<s.rows {
        for p in s.rowPointers[r]..<s.rowPointers[r + 1] {
            let c = Int(s.columnIndices[p])
            var exact = 0.0
            for j in 0..<k { exact += Double(a.scalars[r * k + j]) * Double(b.scalars[c * k + j]) }
            #expect(abs(Double(expected[q]) - exact) <= 1e-4 * Double(k))
            q += 1
        }
    }
    let expectedBFloat16 = tiledSddmm(s, a, roundedToBFloat16(b), tiling: nil, threads: 1)
    for tiling in [nil, Kernels.SparseTiling(blockColumns: 16, groupRows: 5), .init(blockColumns: 3, groupRows: 1)] {
        for threads in [1, 2] {
            #expect(tiledSddmm(s, a, b, tiling: tiling, threads: threads) == expected,
                    "k \(k), tiling \(String(describing: tiling)), \(threads) threads")
            #expect(tiledSddmm(s, a, b, tiling: tiling, threads: threads, precision: .bf16) == expectedBFloat16,
                    "bf16, k \(k), tiling \(String(describing: tiling)), \(threads) threads")
        }
    }
}

@Test("cache sizes parse sysfs notation and are positive")
func cacheSizes() {
    #expect(CacheSizes.parseSize("1024K\n") == 1 << 20)
    #expect(CacheSizes.parseSize("32M") == 32 << 20)
    #expect(CacheSizes.parseSize("512") == 512)
    #expect(CacheSizes.parseSize("") == nil)
    #expect(CacheSizes.parseSize("0K") == nil)
    #expect(CacheSizes.parseSize("lots") == nil)
    #expect(CacheSizes.l2 > 0 && CacheSizes.l3 >= CacheSizes.l2)
}

@Test("the fused decoder-and-loss kernel equals sddmm + bias − target and the spmm of the residuals, bit for bit",
      arguments: [(15, Precision.fp32), (37, .fp32), (200, .fp32), (15, .bf16), (37, .bf16), (200, .bf16)])
func fusedResidualMatchesUnfused(k: Int, precision: Precision) {
    let s = skewedPattern(rows: 70, columns: 120, seed: 40 + UInt64(k))
    let a = randomTensor([70, k], seed: 50 + UInt64(k))
    let b = randomTensor([120, k], seed: 60 + UInt64(k))
    let bias = randomTensor([120], seed: 70)
    // In bf16 the kernel reads b rounded, for the dot products and the gradient alike.
    let bRead = precision == .bf16 ? roundedToBFloat16(b) : b
    let bits = b.scalars.map(BFloat16.bits)
    let dots = tiledSddmm(s, a, bRead, tiling: nil, threads: 1)
    var expectedResidual = [Float](repeating: 0, count: s.nonzeroCount)
    for p in 0..<s.nonzeroCount { expectedResidual[p] = dots[p] + bias.scalars[Int(s.columnIndices[p])] - s.values[p] }
    let expectedGrad = naiveSpmm(s.replacingValues(expectedResidual), bRead)
    for tiling in [nil, Kernels.SparseTiling(blockColumns: 16, groupRows: 5), .init(blockColumns: 1, groupRows: 1)] {
        for threads in [1, 2] {
            var residual = [Float](repeating: .nan, count: s.nonzeroCount)
            var grad = [Float](repeating: .nan, count: 70 * k)
            Parallelism.$threads.withValue(threads) {
                s.rowPointers.withUnsafeBufferPointer { rp in
                    s.columnIndices.withUnsafeBufferPointer { ci in
                        s.values.withUnsafeBufferPointer { v in
                            a.scalars.withUnsafeBufferPointer { pa in
                                b.scalars.withUnsafeBufferPointer { pb in
                                    bias.scalars.withUnsafeBufferPointer { pc in
                                        residual.withUnsafeMutableBufferPointer { e in
                                            grad.withUnsafeMutableBufferPointer { g in
                                                bits.withUnsafeBufferPointer { ph in
                                                    Kernels.sampledAffineResidual(
                                                        rowPointers: rp.baseAddress!, columnIndices: ci.baseAddress!, rows: 70, columns: 120,
                                                        a: pa.baseAddress!, b: pb.baseAddress!, bias: pc.baseAddress!, target: v.baseAddress!,
                                                        k: k, residual: e.baseAddress!, gradA: g.baseAddress!,
                                                        bBFloat16: precision == .bf16 ? ph.baseAddress! : nil, tiling: tiling)
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            #expect(residual == expectedResidual, "\(precision), k \(k), tiling \(String(describing: tiling)), \(threads) threads")
            #expect(grad == expectedGrad, "\(precision), k \(k), tiling \(String(describing: tiling)), \(threads) threads")
        }
    }
}

@Test("sampledAffineSquareLoss gives the loss and gradients of the unfused decoder + loss, bit for bit in Float")
func fusedLossMatchesComposition() {
    let s = skewedPattern(rows: 40, columns: 90, seed: 80)
    func run(fused: Bool) -> (Float, [Tensor<Float>]) {
        let tape = Tape<Float>()
        let a = tape.variable(randomTensor([40, 33], seed: 81))
        let b = tape.variable(randomTensor([90, 33], seed: 82))
        let c = tape.variable(randomTensor([90], seed: 83))
        let loss = fused
            ? sampledAffineSquareLoss(a, b, bias: c, targets: s)
            : sampledSquareLoss(sampledMatmul(a, b, transposeB: true, at: s) + gather(c, at: s.columnIndices), targets: s)
        return (loss.value.scalar, tape.gradients(of: loss, withRespectTo: [a, b, c]))
    }
    let (fusedLoss, fusedGradients) = run(fused: true)
    let (loss, gradients) = run(fused: false)
    #expect(fusedLoss == loss)
    for (x, y) in zip(fusedGradients, gradients) { #expect(x == y) }
}
