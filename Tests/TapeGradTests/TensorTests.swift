import Testing
import TapeGrad

@Test("Float and Double forward values agree on every elementwise function")
func floatAndDoubleForward() {
    let xs: [Double] = [-1000, -20, -1, -0.25, 0, 0.5, 3, 20, 1000]
    let d = Tensor(xs)
    let f = Tensor<Float>(xs.map(Float.init))
    #expect(sigmoid(f).converted(to: Double.self).isApproximatelyEqual(to: sigmoid(d), absoluteTolerance: 1e-7, relativeTolerance: 1e-6))
    #expect(tanh(f).converted(to: Double.self).isApproximatelyEqual(to: tanh(d), absoluteTolerance: 1e-7, relativeTolerance: 1e-6))
    #expect(relu(f).converted(to: Double.self) == relu(d))
    let small = Tensor<Double>([-2, -0.5, 0, 0.5, 2])
    #expect(exp(small.converted(to: Float.self)).converted(to: Double.self).isApproximatelyEqual(to: exp(small), absoluteTolerance: 0, relativeTolerance: 1e-6))
    let positive = Tensor<Double>([0.001, 0.5, 1, 7, 1e6])
    #expect(log(positive.converted(to: Float.self)).converted(to: Double.self).isApproximatelyEqual(to: log(positive), absoluteTolerance: 1e-6, relativeTolerance: 1e-6))
}

@Test("sigmoid has no overflow or NaN at ±1000 in either type")
func sigmoidExtremes() {
    let f = sigmoid(Tensor<Float>([-1000, 1000, -Float.greatestFiniteMagnitude, .greatestFiniteMagnitude]))
    #expect(f.scalars == [0, 1, 0, 1])
    let d = sigmoid(Tensor<Double>([-1000, 1000]))
    #expect(d.scalars == [0, 1])
}

@Test("matmul in Float and Double against a hand-computed product, all transposes")
func matmulValues() {
    let a = Tensor<Double>([[1, 2, 3], [4, 5, 6]])
    let b = Tensor<Double>([[7, 8], [9, 10], [11, 12]])
    let expected = Tensor<Double>([[58, 64], [139, 154]])
    #expect(matmul(a, b) == expected)
    #expect(matmul(a.transposed, b, transposeA: true) == expected)
    #expect(matmul(a, b.transposed, transposeB: true) == expected)
    #expect(matmul(a.transposed, b.transposed, transposeA: true, transposeB: true) == expected)
    #expect(matmul(a.converted(to: Float.self), b.converted(to: Float.self)) == expected.converted(to: Float.self))
    #expect(matmul(Tensor<Float>.zeros([3, 0]), Tensor<Float>.zeros([0, 2])) == .zeros([3, 2]))
}

@Test("broadcasting follows NumPy rules")
func broadcasting() {
    let m = Tensor<Float>([[1, 2, 3], [4, 5, 6]])
    #expect(m + Tensor([10, 20, 30]) == Tensor([[11, 22, 33], [14, 25, 36]]))
    #expect(m * Tensor(shape: [2, 1], scalars: [2, 3]) == Tensor([[2, 4, 6], [12, 15, 18]]))
    #expect(Tensor(shape: [2, 1], scalars: [1, 2]) + Tensor<Float>(shape: [1, 3], scalars: [10, 20, 30]) == Tensor([[11, 21, 31], [12, 22, 32]]))
    #expect(m - Tensor(scalar: 1) == Tensor([[0, 1, 2], [3, 4, 5]]))
}

@Test("reductions")
func reductions() {
    let m = Tensor<Double>([[1, 2, 3], [4, 5, 6]])
    #expect(m.sum().scalar == 21)
    #expect(m.mean().scalar == 3.5)
    #expect(m.sum(alongAxis: 0) == Tensor([5, 7, 9]))
    #expect(m.sum(alongAxis: 1) == Tensor([6, 15]))
    #expect(m.mean(alongAxis: 1) == Tensor([2, 5]))
}

@Test("seeded random tensors are reproducible and have the right moments")
func seededRandom() {
    var g1 = SplitMix64(seed: 42), g2 = SplitMix64(seed: 42)
    let a = Tensor<Double>.normal([1000], generator: &g1)
    let b = Tensor<Double>.normal([1000], generator: &g2)
    #expect(a == b)
    #expect(abs(a.mean().scalar) < 0.1)
    let u = Tensor<Float>.uniform([1000], lower: -1, upper: 1, generator: &g1)
    #expect(u.scalars.allSatisfy { $0 >= -1 && $0 < 1 })
    // The stream is fixed for all platforms: the first SplitMix64 output for seed 0.
    var g0 = SplitMix64(seed: 0)
    #expect(g0.next() == 0xE220_A839_7B1D_CDAF)
}

@Test("value semantics: a copy is independent")
func valueSemantics() {
    var a = Tensor<Float>([1, 2, 3])
    let b = a
    a.scalars[0] = 100
    #expect(b.scalars[0] == 1)
}

@Test("description shows shape and elements")
func description() {
    #expect(Tensor<Float>([[1, 2], [3, 4]]).description == "Tensor[2, 2] [[1, 2],\n [3, 4]]")
    #expect(Tensor<Double>(scalar: 0.5).description == "Tensor[] 0.5")
}

@Test("CSR from triples: sorted, duplicates summed or last kept, transpose, row selection")
func sparseMatrix() {
    let s = SparseMatrix<Double>(rows: 3, columns: 4, rowIndices: [2, 0, 0, 2, 0], columnIndices: [1, 3, 0, 1, 3],
                                 values: [1, 2, 3, 4, 5])
    #expect(s.rowPointers == [0, 2, 2, 3])
    #expect(s.columnIndices == [0, 3, 1])
    #expect(s.values == [3, 7, 5])
    let last = SparseMatrix<Double>(rows: 3, columns: 4, rowIndices: [2, 0, 0, 2, 0], columnIndices: [1, 3, 0, 1, 3],
                                    values: [1, 2, 3, 4, 5], duplicates: .keepLast)
    #expect(last.values == [3, 5, 4])
    #expect(s.transposed().toDense() == s.toDense().transposed)
    #expect(s.transposed().transposed().toDense() == s.toDense())
    let perm = s.transposePermutation()
    #expect(perm.map { s.values[$0] } == s.transposed().values)
    let t = s.transposedStructure()
    #expect(t.permuting(s.values) == s.transposed().values)
    #expect(t.permuting(s.values, scale: -2) == s.transposed().values.map { -2 * $0 })
    // Large enough to be split between threads (chunks of 65,536 entries).
    let big = randomSparse(rows: 300, columns: 700, density: 0.9, seed: 11, emptyRows: [3])
    Parallelism.$threads.withValue(2) {
        #expect(big.transposedStructure().permuting(big.values) == big.transposePermutation().map { big.values[$0] })
    }
    #expect(s.selectingRows([2, 0]).toDense() == Tensor([[0, 5, 0, 0], [3, 0, 0, 7]]))
    #expect(SparseMatrix(dense: s.toDense()).values == s.values)
}

@Test("sparse products equal dense products")
func sparseEqualsDense() {
    let p = randomSparse(rows: 9, columns: 13, density: 0.3, seed: 5, emptyRows: [0, 4])
    let w = random([13, 6], seed: 6)
    #expect(matmul(p, w).isApproximatelyEqual(to: matmul(p.toDense(), w), absoluteTolerance: 1e-12))
    let a = random([9, 6], seed: 7)
    let b = random([6, 13], seed: 8)
    let full = matmul(a, b)
    let sampled = sampledMatmul(a, b, at: p)
    var k = 0
    for r in 0..<p.rows {
        for q in p.rowPointers[r]..<p.rowPointers[r + 1] {
            #expect(abs(sampled.scalars[k] - full[r, Int(p.columnIndices[q])]) < 1e-12)
            k += 1
        }
    }
    // Float path and hidden sizes that are not a multiple of the vector width.
    let wf = random([13, 37], seed: 9).converted(to: Float.self)
    let pf = SparseMatrix<Float>(rows: p.rows, columns: p.columns, rowPointers: p.rowPointers,
                                 columnIndices: p.columnIndices, values: p.values.map(Float.init))
    #expect(matmul(pf, wf).isApproximatelyEqual(to: matmul(pf.toDense(), wf), absoluteTolerance: 1e-5))
}

@Test("withDenormalsFlushedToZero flushes subnormals in scope, in worker threads, and restores the mode")
func denormalsFlushed() {
    let before = denormalMode()
    let tiny = Tensor<Float>(repeating: Float.leastNormalMagnitude, shape: [1, 64])
    let half = Tensor<Float>(repeating: 0.5, shape: [64, 64])
    // Outside: 2⁻¹²⁶ · 0.5 is a subnormal (exact); a product through the kernels keeps it.
    let kept = (tiny * Float(0.5)).scalars[0]
    #if arch(x86_64)
    #expect(kept.isSubnormal)
    #endif
    let (scalar, viaKernel, inside) = withDenormalsFlushedToZero {
        ((tiny * Float(0.5)).scalars[0],
         Parallelism.$threads.withValue(2) { matmul(tiny * Float(1e-3), half) }.scalars,
         denormalMode())
    }
    #if arch(x86_64)
    #expect(inside)
    #expect(scalar == 0)
    #expect(viaKernel.allSatisfy { $0 == 0 })
    #endif
    #expect(denormalMode() == before)
}

@Test("the vectorised Float sigmoid stays within 3·10⁻⁷ (relative) of libm in Double, at any length")
func vectorisedSigmoid() {
    // 20,001 points over [-100, 100] plus the edges; 20,003 is not a multiple of 16 (tail path).
    var xs = (0...20_000).map { Double($0) / 100 - 100 }
    xs += [-0.0, 1e-30]
    let f = sigmoid(Tensor<Float>(xs.map(Float.init)))
    let d = sigmoid(Tensor<Double>(xs.map { Double(Float($0)) }))
    var worst = 0.0
    for (a, b) in zip(f.scalars, d.scalars) where b > 1e-37 {
        worst = max(worst, abs(Double(a) - b) / b)
    }
    #expect(worst < 3e-7, "worst relative error \(worst)")
    #expect(sigmoid(Tensor<Float>([0])).scalars == [0.5])
    let special: [Float] = sigmoid(Tensor<Float>([.nan, .infinity, -.infinity, 90, -90])).scalars
    #expect(special[0].isNaN)
    #expect(Array(special[1...]) == [1, 0, 1, 0])
}
