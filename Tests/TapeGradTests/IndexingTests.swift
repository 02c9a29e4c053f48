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
