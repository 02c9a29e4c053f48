import Testing
import TapeGrad

@Test("gather looks up rows in order; repeated ids sum their gradients; Int and Int32 ids agree")
func gatherRows() {
    let table = Tensor<Double>([[1, 2], [3, 4], [5, 6]])
    let tape = Tape<Double>()
    let w = tape.variable(table)
    let y = gather(w, at: [2, 0, 2])
    #expect(y.value == Tensor([[5, 6], [1, 2], [5, 6]]))
    #expect(gather(w, at: [2, 0, 2] as [Int32]).value == y.value)
    #expect(w.selectingRows([2, 0, 2]).value == y.value)
    let seed = Tensor<Double>([[1, 10], [100, 1000], [7, 70]])
    let (dw) = tape.gradients(of: y, withRespectTo: [w], seed: seed)[0]
    #expect(dw == Tensor([[100, 1000], [0, 0], [8, 80]]))
    #expect(gather(w, at: [Int]()).shape == [0, 2])
}

@Test("Tensor.selectingRows cuts a mini-batch out of a data matrix, any rank")
func tensorSelectingRows() {
    let x = Tensor<Float>(shape: [3, 2, 2], scalars: (0..<12).map(Float.init))
    #expect(x.selectingRows([1]) == Tensor(shape: [1, 2, 2], scalars: [4, 5, 6, 7]))
    #expect(Tensor<Float>([10, 20, 30]).selectingRows([2, 2, 0] as [Int32]) == Tensor([30, 30, 10]))
    let batches = [[2, 0], [1]]
    #expect(batches.map { x.selectingRows($0).shape } == [[2, 2, 2], [1, 2, 2]])
}

@Test("gather with an id outside the table traps, naming the op, the id and the shape")
func gatherOutOfRange() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
        let tape = Tape<Float>()
        _ = gather(tape.variable(.zeros([4, 3])), at: [1, 4])
    }.map { result in
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("gather: id 4 outside 0..<4 for a table of shape [4, 3]"), "\(message)")
    }
}

@Test("concatenate and slicing round-trip along every axis; the pullbacks split and place the gradient")
func concatenateSliceRoundTrip() {
    let a = Tensor<Double>(shape: [2, 3, 2], scalars: (0..<12).map(Double.init))
    let b = Tensor<Double>(shape: [2, 1, 2], scalars: [100, 101, 102, 103])
    let joined = concatenate([a, b], alongAxis: 1)
    #expect(joined.shape == [2, 4, 2])
    #expect(joined.scalars == [0, 1, 2, 3, 4, 5, 100, 101, 6, 7, 8, 9, 10, 11, 102, 103])
    #expect(joined.slicing(0..<3, alongAxis: 1) == a)
    #expect(joined.slicing(3..<4, alongAxis: 1) == b)
    for axis in 0..<3 {
        let n = a.shape[axis]
        let parts = [a.slicing(0..<1, alongAxis: axis), a.slicing(1..<n, alongAxis: axis)]
        #expect(concatenate(parts, alongAxis: axis) == a)
        #expect(a.slicing(n..<n, alongAxis: axis).count == 0)
    }
    let m = Tensor<Float>([[1, 2], [3, 4]])
    #expect(concatenate([m, m], alongAxis: 0) == Tensor([[1, 2], [3, 4], [1, 2], [3, 4]]))
    #expect(concatenate([m, m], alongAxis: 1) == Tensor([[1, 2, 1, 2], [3, 4, 3, 4]]))

    let tape = Tape<Double>()
    let (va, vb) = (tape.variable(a), tape.variable(b))
    let y = concatenate([va, vb], alongAxis: 1).slicing(2..<4, alongAxis: 1)
    let seed = Tensor<Double>(shape: [2, 2, 2], scalars: [1, 2, 3, 4, 5, 6, 7, 8])
    let g = tape.gradients(of: y, withRespectTo: [va, vb], seed: seed)
    #expect(g[0] == Tensor(shape: [2, 3, 2], scalars: [0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 5, 6]))
    #expect(g[1] == Tensor(shape: [2, 1, 2], scalars: [3, 4, 7, 8]))
}
