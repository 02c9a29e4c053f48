// Mixed precision (Precision.bf16) and the C row kernels behind the sparse products:
// - the Float → bfloat16 conversion, exactly (ties to even, subnormals, infinities, NaN), at
//   every CPU level this machine has;
// - the row kernels of every level against the portable ones and against Swift references,
//   bit for bit (the levels are passed as parameters, so no process-wide state is touched and
//   the suites may run in parallel);
// - the bf16 ops against the exact (Double) products, within the error bf16 allows:
//   |result − exact| ≤ 2⁻⁸ · (the same product of absolute values), per element. Rounding one
//   factor of each term to bf16 moves it by at most 2⁻⁹ of its magnitude; the other 2⁻⁹ covers
//   the Float accumulation (≤ k · 2⁻²⁴ relative, with k ≤ 500 here) with room to spare.

import CTapeGradKernels
import Testing
@testable import TapeGrad

/// The levels this CPU runs, lowest first (portable always).
private let levels: [tg_cpu_level] = {
    let top = tg_cpu_level_detect()
    return [TG_CPU_PORTABLE, TG_CPU_AVX2, TG_CPU_AVX512, TG_CPU_AVX512_BF16].filter { $0.rawValue <= top.rawValue }
}()

/// An independent reference: the nearer of the two bf16 neighbours of x (found in Double),
/// the one with an even last bit on a tie; NaN → quiet NaN of the same sign.
private func referenceBits(_ x: Float) -> UInt16 {
    let u = x.bitPattern
    if x.isNaN { return UInt16(u >> 16) | 0x0040 }
    let down = UInt16(u >> 16)
    if u & 0xFFFF == 0 { return down }
    let up = down + 1  // the next bf16 away from zero
    // Past the largest finite bf16, rounding goes on as if the exponent continued (2¹²⁸), so
    // that numbers from the last tie up overflow to infinity.
    let lo = Double(BFloat16.float(down))
    let hi = up & 0x7FFF == 0x7F80 ? (x < 0 ? -0x1p128 : 0x1p128) : Double(BFloat16.float(up))
    let (dLo, dHi) = (abs(Double(x) - lo), abs(hi - Double(x)))
    if dLo < dHi { return down }
    if dHi < dLo { return up }
    return down & 1 == 0 ? down : up
}

@Test("Float → bfloat16 rounds to nearest, ties to even, through subnormals and infinities; NaN stays NaN")
func bfloat16ConversionCases() {
    let cases: [(UInt32, UInt16)] = [
        (0x3F80_0000, 0x3F80),  // 1
        (0x3F80_8000, 0x3F80),  // 1 + 2⁻⁸: a tie, to the even 1
        (0x3F81_8000, 0x3F82),  // 1 + 3·2⁻⁸: a tie, to the even 1 + 2⁻⁶
        (0x3F80_8001, 0x3F81),  // just above the tie: up
        (0x3F81_7FFF, 0x3F81),  // just below the tie: down
        (0xBF80_8000, 0xBF80),  // the sign plays no part
        (0x0000_0001, 0x0000),  // the smallest subnormal rounds to zero
        (0x0000_8000, 0x0000),  // a subnormal tie, to the even 0
        (0x0001_8000, 0x0002),  // a subnormal tie, to the even 2
        (0x0000_8001, 0x0001),  // a subnormal just above the tie: the smallest bf16 subnormal
        (0x007F_FFFF, 0x0080),  // the largest subnormal rounds up to the smallest normal
        (0x8000_0000, 0x8000),  // −0
        (0x7F7F_FFFF, 0x7F80),  // the largest float overflows to infinity
        (0x7F7F_7FFF, 0x7F7F),  // the largest float below the last tie stays finite
        (0x7F80_0000, 0x7F80),  // +∞
        (0xFF80_0000, 0xFF80),  // −∞
        (0x7FC0_0000, 0x7FC0),  // quiet NaN
        (0x7F80_0001, 0x7FC0),  // a signalling NaN with its payload in the dropped bits: still NaN
        (0xFF80_0001, 0xFFC0),  // negative, too
        (0x7FFF_FFFF, 0x7FFF),  // a NaN whose rounding would carry: truncated, not rounded
    ]
    for (input, expected) in cases {
        let x = Float(bitPattern: input)
        #expect(BFloat16.bits(x) == expected, "bits \(String(input, radix: 16))")
        #expect(referenceBits(x) == expected, "reference, bits \(String(input, radix: 16))")
    }
    #expect(BFloat16.float(0x3F80) == 1 && BFloat16.float(0xC000) == -2 && BFloat16.float(0x7F80) == .infinity)
    #expect(BFloat16.rounded(.nan).isNaN && BFloat16.rounded(-.infinity) == -.infinity)
}

@Test("the vectorised conversion of every CPU level matches the reference on random bit patterns",
      arguments: levels.map(\.rawValue))
func bfloat16ConversionAtLevel(level: UInt32) {
    var g = SplitMix64(seed: 12)
    // Random bit patterns (all classes of floats) plus ties and NaNs at every lane position.
    var input = (0..<20_000).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: g.next())) }
    for i in stride(from: 0, to: 200, by: 3) {
        input[i] = Float(bitPattern: UInt32(truncatingIfNeeded: g.next()) & 0xFFFF_0000 | 0x8000)
        input[i + 1] = Float(bitPattern: 0x7F80_0000 | UInt32(i + 1))
    }
    var output = [UInt16](repeating: 0, count: input.count)
    for count in [input.count, 17, 15, 1] {  // the vector loop and the scalar tail
        tg_f32_to_bf16_at(tg_cpu_level(rawValue: level), input, &output, count)
        for i in 0..<count where output[i] != referenceBits(input[i]) {
            Issue.record("level \(level), element \(i) of \(count): \(String(input[i].bitPattern, radix: 16)) → \(String(output[i], radix: 16)), expected \(String(referenceBits(input[i]), radix: 16))")
            break
        }
    }
    var back = [Float](repeating: 0, count: 16)
    tg_bf16_to_f32(output, &back, 16)
    for i in 0..<16 { #expect(back[i].bitPattern == UInt32(output[i]) << 16) }
}

/// A random row tile: `count` entries with random columns (any order; the kernels do not care)
/// into a `rows × k` operand.
private struct RowTile {
    let columns: [Int32], values: [Float], a: [Float], w: [Float], bias: [Float], target: [Float]
    let rows: Int, k: Int

    init(count: Int, rows: Int, k: Int, seed: UInt64) {
        var g = SplitMix64(seed: seed)
        func uniform(_ n: Int) -> [Float] { (0..<n).map { _ in Float(g.nextUnit() * 2 - 1) } }
        columns = (0..<count).map { _ in Int32(g.next() % UInt64(rows)) }
        values = uniform(count)
        a = uniform(k)
        w = uniform(rows * k)
        bias = uniform(rows)
        target = uniform(count)
        self.rows = rows
        self.k = k
    }
}

@Test("the row kernels of every CPU level give the bits of the portable ones and of the Swift loops",
      arguments: levels.map(\.rawValue))
func rowKernelsAtLevel(level: UInt32) {
    let kernels = tg_sparse_kernels_for(tg_cpu_level(rawValue: level))!.pointee
    let portable = tg_sparse_kernels_for(TG_CPU_PORTABLE)!.pointee
    for k in [1, 15, 16, 17, 63, 64, 95, 96, 97, 127, 128, 129, 200, 500] {
        for count in [0, 1, 3, 4, 5, 9] {
            let t = RowTile(count: count, rows: 23, k: k, seed: UInt64(k * 10 + count))
            let bits = t.w.map(BFloat16.bits)
            let rounded = t.w.map(BFloat16.rounded)
            let context = "level \(level), k \(k), \(count) entries"
            // spmm: out += Σ v·w in order, from a nonzero start.
            var expected = t.a
            for p in 0..<count {
                for j in 0..<k { expected[j] += t.values[p] * t.w[Int(t.columns[p]) * k + j] }
            }
            var expectedBF = t.a
            for p in 0..<count {
                for j in 0..<k { expectedBF[j] += t.values[p] * rounded[Int(t.columns[p]) * k + j] }
            }
            var (out, outPortable, outBF) = (t.a, t.a, t.a)
            kernels.spmm_f32!(t.columns, t.values, count, t.w, k, &out)
            portable.spmm_f32!(t.columns, t.values, count, t.w, k, &outPortable)
            kernels.spmm_bf16!(t.columns, t.values, count, bits, k, &outBF)
            #expect(out == expected && outPortable == expected, "spmm, \(context)")
            #expect(outBF == expectedBF, "spmm bf16, \(context)")

            // sddmm: Kernels.dot's order (Swift), at every level.
            var dots = [Float](repeating: .nan, count: count), dotsBF = dots
            kernels.sddmm_f32!(t.columns, count, t.a, t.w, k, &dots)
            kernels.sddmm_bf16!(t.columns, count, t.a, bits, k, &dotsBF)
            t.a.withUnsafeBufferPointer { pa in
                t.w.withUnsafeBufferPointer { pw in
                    rounded.withUnsafeBufferPointer { pr in
                        for p in 0..<count {
                            let row = Int(t.columns[p]) * k
                            #expect(dots[p] == Kernels.dot(pa.baseAddress!, pw.baseAddress! + row, k), "sddmm, \(context)")
                            #expect(dotsBF[p] == Kernels.dot(pa.baseAddress!, pr.baseAddress! + row, k), "sddmm bf16, \(context)")
                        }
                    }
                }
            }

            // The fused residual: residuals from those dots, the gradient as spmm of the residuals.
            for (bf16, dotValues, operand) in [(false, dots, t.w), (true, dotsBF, rounded)] {
                var residual = [Float](repeating: .nan, count: count), grad = t.a
                if bf16 {
                    kernels.residual_bf16!(t.columns, count, t.a, bits, t.bias, t.target, k, &residual, &grad)
                } else {
                    kernels.residual_f32!(t.columns, count, t.a, t.w, t.bias, t.target, k, &residual, &grad)
                }
                var expectedGrad = t.a
                for p in 0..<count {
                    let e = dotValues[p] + t.bias[Int(t.columns[p])] - t.target[p]
                    #expect(residual[p] == e, "residual\(bf16 ? " bf16" : ""), \(context)")
                    for j in 0..<k { expectedGrad[j] += e * operand[Int(t.columns[p]) * k + j] }
                }
                #expect(grad == expectedGrad, "residual gradient\(bf16 ? " bf16" : ""), \(context)")
            }
        }
    }
}

// MARK: - The bf16 ops against Double

private func pattern(rows: Int, columns: Int, seed: UInt64) -> SparseMatrix<Float> {
    var g = SplitMix64(seed: seed)
    var (r, c, v) = ([Int](), [Int](), [Float]())
    for i in 0..<rows {
        for j in 0..<columns where g.nextUnit() < (i % 4 == 0 ? 0.6 : 0.15) {
            r.append(i); c.append(j); v.append(Float(g.nextUnit() * 4 + 1))
        }
    }
    return SparseMatrix(rows: rows, columns: columns, rowIndices: r, columnIndices: c, values: v)
}

private func tensor(_ shape: [Int], seed: UInt64) -> Tensor<Float> {
    var g = SplitMix64(seed: seed)
    return Tensor<Float>.uniform(shape, lower: -1, upper: 1, generator: &g)
}

private func double(_ t: Tensor<Float>) -> Tensor<Double> { Tensor(shape: t.shape, scalars: t.scalars.map(Double.init)) }
private func double(_ s: SparseMatrix<Float>) -> SparseMatrix<Double> { SparseMatrix(dense: double(s.toDense())) }
private func magnitude(_ t: Tensor<Double>) -> Tensor<Double> { Tensor(shape: t.shape, scalars: t.scalars.map(abs)) }
private func magnitude(_ s: SparseMatrix<Double>) -> SparseMatrix<Double> { s.replacingValues(s.values.map(abs)) }

/// |got − exact| ≤ 2⁻⁸ · bound, element by element, and bf16 really rounded (not fp32 in disguise).
private func expectWithinBFloat16(_ got: Tensor<Float>, _ exact: Tensor<Double>, bound: Tensor<Double>, _ what: String) {
    #expect(got.shape == exact.shape, "\(what): shape")
    var worst = 0.0
    for i in 0..<got.count {
        let error = abs(Double(got.scalars[i]) - exact.scalars[i])
        if error > 0x1p-8 * bound.scalars[i] {
            Issue.record("\(what): element \(i) is \(got.scalars[i]), exact \(exact.scalars[i]), bound 2⁻⁸ · \(bound.scalars[i])")
            return
        }
        worst = max(worst, error / max(bound.scalars[i], .leastNormalMagnitude))
    }
    #expect(worst > 0x1p-20, "\(what): the error \(worst) is too small for bf16 operands")
}

@Test("bf16 sparse matmul and its gradient are the exact products to within 2⁻⁸ of the products of magnitudes")
func bfloat16SparseMatmul() {
    let s = pattern(rows: 30, columns: 50, seed: 1)
    let w = tensor([50, 200], seed: 2), seed = tensor([30, 200], seed: 3)
    let tape = Tape<Float>()
    let wv = tape.variable(w)
    let y = matmul(s, wv, precision: .bf16)
    let dw = tape.gradients(of: y, withRespectTo: [wv], seed: seed)[0]
    let (sd, wd, gd) = (double(s), double(w), double(seed))
    expectWithinBFloat16(y.value, matmul(sd, wd), bound: matmul(magnitude(sd), magnitude(wd)), "S·W")
    let st = sd.transposed()
    expectWithinBFloat16(dw, matmul(st, gd), bound: matmul(magnitude(st), magnitude(gd)), "∂W = Sᵀ·Ȳ")
}

@Test("bf16 sampled matmul and its gradients are the exact products to within 2⁻⁸ of the products of magnitudes")
func bfloat16SampledMatmul() {
    let s = pattern(rows: 30, columns: 40, seed: 4)
    let a = tensor([30, 150], seed: 5), b = tensor([40, 150], seed: 6), seed = tensor([s.nonzeroCount], seed: 7)
    let tape = Tape<Float>()
    let (av, bv) = (tape.variable(a), tape.variable(b))
    let y = sampledMatmul(av, bv, transposeB: true, at: s, precision: .bf16)
    let grads = tape.gradients(of: y, withRespectTo: [av, bv], seed: seed)
    let (sd, ad, bd) = (double(s), double(a), double(b))
    expectWithinBFloat16(y.value, sampledMatmul(ad, bd, transposeB: true, at: sd),
                         bound: sampledMatmul(magnitude(ad), magnitude(bd), transposeB: true, at: sd), "(A·Bᵀ)[S]")
    let sBar = sd.replacingValues(seed.scalars.map(Double.init))
    expectWithinBFloat16(grads[0], matmul(sBar, bd), bound: matmul(magnitude(sBar), magnitude(bd)), "∂A = S̄·B")
    expectWithinBFloat16(grads[1], matmul(sBar.transposed(), ad), bound: matmul(magnitude(sBar).transposed(), magnitude(ad)),
                         "∂B = S̄ᵀ·A")
}

@Test("the bf16 fused decoder + loss: residuals, loss and gradients within the bf16 error bound of the exact ones")
func bfloat16FusedLoss() {
    let s = pattern(rows: 25, columns: 35, seed: 8)
    let a = tensor([25, 120], seed: 9), b = tensor([35, 120], seed: 10), c = tensor([35], seed: 11)
    let tape = Tape<Float>()
    let (av, bv, cv) = (tape.variable(a), tape.variable(b), tape.variable(c))
    let loss = sampledAffineSquareLoss(av, bv, bias: cv, targets: s, precision: .bf16)
    let grads = tape.gradients(of: loss, withRespectTo: [av, bv, cv])
    // Exact: e = a·b + c − v in Double; each eₚ is off by δₚ ≤ 2⁻⁹ (|a|·|b|)ₚ (+ Float rounding),
    // and ∂a = 2 Σ eₚ b̃ₚ reads b rounded: |error| ≤ 2 Σ (δₚ + 2⁻⁹|eₚ|) |bₚ| ≤ 2⁻⁸ · 2 Σ (|a||b|ₚ + |eₚ|) |bₚ|.
    let (sd, ad, bd, cd) = (double(s), double(a), double(b), double(c))
    let dots = sampledMatmul(ad, bd, transposeB: true, at: sd)
    let dotBound = sampledMatmul(magnitude(ad), magnitude(bd), transposeB: true, at: sd)
    let e = (0..<sd.nonzeroCount).map { p in dots.scalars[p] + cd.scalars[Int(sd.columnIndices[p])] - sd.values[p] }
    let weight = (0..<sd.nonzeroCount).map { p in 2 * (dotBound.scalars[p] + abs(e[p])) }
    let exactLoss = e.reduce(0) { $0 + $1 * $1 }
    let lossBound = (0..<e.count).reduce(0.0) { $0 + abs(e[$1]) * dotBound.scalars[$1] } * 2
    #expect(abs(Double(loss.value.scalar) - exactLoss) <= 0x1p-8 * lossBound)
    let sE = sd.replacingValues(e.map { 2 * $0 }), sW = sd.replacingValues(weight)
    expectWithinBFloat16(grads[0], matmul(sE, bd), bound: matmul(sW, magnitude(bd)), "∂a")
    expectWithinBFloat16(grads[1], matmul(sE.transposed(), ad), bound: matmul(sW.transposed(), magnitude(ad)), "∂b")
    var biasBound = [Double](repeating: 0, count: 35), exactBias = biasBound
    for p in 0..<e.count {
        exactBias[Int(sd.columnIndices[p])] += 2 * e[p]
        biasBound[Int(sd.columnIndices[p])] += 2 * dotBound.scalars[p] + 2 * abs(e[p])
    }
    expectWithinBFloat16(grads[2], Tensor(exactBias), bound: Tensor(biasBound), "∂c")
}

@Test("Double ignores the precision: bf16 ops in Double are the fp32 ones")
func doubleHasNoBFloat16() {
    let s = double(pattern(rows: 12, columns: 20, seed: 12))
    let w = double(tensor([20, 40], seed: 13)), a = double(tensor([12, 40], seed: 14))
    #expect(matmul(s, w, precision: .bf16) == matmul(s, w))
    #expect(sampledMatmul(a, w, transposeB: true, at: s, precision: .bf16) == sampledMatmul(a, w, transposeB: true, at: s))
}
