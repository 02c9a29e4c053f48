import Testing
import TapeGrad
import TapeGradCheck
import TapeGradLayers
@testable import AutoRec

/// A small random rating matrix (instances × inputs) with empty rows and columns.
func randomRatings(rows: Int, columns: Int, density: Double, seed: UInt64) -> SparseMatrix<Double> {
    var g = SplitMix64(seed: seed)
    var r = [Int](), c = [Int](), v = [Double]()
    for i in 0..<rows where i != 1 {
        for j in 0..<columns where j != 2 && g.nextUnit() < density {
            r.append(i); c.append(j); v.append(Double(1 + g.nextInt(below: 5)))
        }
    }
    return SparseMatrix(rows: rows, columns: columns, rowIndices: r, columnIndices: c, values: v)
}

@Test("AutoRec's graph: encoder, decoder, 2mk + m + k parameters; deep variants as loops")
func autorecGraph() throws {
    let model = try AutoRec(configuration: AutoRecConfiguration(hidden: [500]), inputSize: 943)
    #expect(model.graph.parameterCount == 2 * 943 * 500 + 943 + 500)
    #expect(model.graph.parameterSpecs.map(\.name) == ["encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"])
    #expect(model.graph.inputs.map(\.shape) == [.sparse(943)] && model.graph.outputs.map(\.shape) == [.dense(943)])
    // The table Docs/Layers.md shows.
    #expect(model.graph.description == """
        Node     Layer           Inputs   Output shape         Parameters
        ─────────────────────────────────────────────────────────────────
        ratings  Input                    [batch, 943] sparse
        encoder  Dense(sigmoid)  ratings  [batch, 500]             472000
        decoder  Dense           encoder  [batch, 943]             472443
        ─────────────────────────────────────────────────────────────────
        Outputs: output = decoder
        Total parameters: 944443
        """)
    let deep = try AutoRec(configuration: AutoRecConfiguration(hidden: [500, 250, 500]), inputSize: 100)
    #expect(deep.graph.parameterSpecs.map(\.shape) == [[100, 500], [500], [500, 250], [250], [250, 500], [500], [100, 500], [100]])
    #expect(throws: GraphError.self) { try AutoRec(configuration: AutoRecConfiguration(hidden: [0]), inputSize: 10) }
}

@Test("the AutoRec objective matches finite differences, sparse and dense paths (directional, Double)",
      arguments: [[4], [5, 3, 5]])
func autorecObjectiveGradient(hidden: [Int]) throws {
    let data = randomRatings(rows: 6, columns: 9, density: 0.4, seed: 3)
    let model = try AutoRec(configuration: AutoRecConfiguration(hidden: hidden, lambda: 0.7), inputSize: 9)
    let p: Parameters<Double> = model.graph.initialParameters(seed: 5)
    for sparse in [true, false] {
        let report = try GradientCheck.run("AutoRec objective \(sparse ? "sparse" : "dense") \(hidden)", at: p.tensors,
                                           mode: .directional(samples: 6)) { tape, v in
            let context = ForwardContext(tape: tape, isTraining: true)
            let input: LayerValue<Double> = sparse ? .sparse(data) : .dense(tape.variable(data.toDense()))
            let run = try model.graph.evaluation(input, parameters: v, context: context)
            let mask = data.replacingValues(Array(repeating: 1, count: data.nonzeroCount)).toDense()
            let error = sparse ? try run.squaredError(at: data) : maskedSquareLoss(try run.output(), target: data.toDense(), mask: mask)
            return error + weightPenalty(v, of: p)! * 0.35
        }
        #expect(report.passed, "\(report)")
    }
}

@Test("sparse and dense AutoRec paths give the same loss and gradients", arguments: [AutoRecKind.item, .user])
func sparseEqualsDense(kind: AutoRecKind) throws {
    let data = randomRatings(rows: 12, columns: 17, density: 0.3, seed: 8)
    let model = try AutoRec(configuration: AutoRecConfiguration(kind: kind, hidden: [7], lambda: 2), inputSize: 17)
    let p: Parameters<Double> = model.graph.initialParameters(seed: 1)
    let sparse = model.objective(data, parameters: p)
    let dense = model.denseObjective(data, parameters: p)
    #expect(abs(sparse.loss - dense.loss) <= 1e-10 * abs(dense.loss))
    for (a, b) in zip(sparse.gradient.tensors, dense.gradient.tensors) {
        #expect(a.isApproximatelyEqual(to: b, absoluteTolerance: 1e-10, relativeTolerance: 1e-9))
    }
    // Unobserved inputs (column 2 is empty) get no data gradient: only the penalty's.
    let w = p["encoder.weight"]!, dw = sparse.gradient["encoder.weight"]!
    for k in 0..<7 { #expect(abs(dw[2, k] - 2 * w[2, k]) < 1e-12) }
}

@Test("reconstruct at a query pattern equals the dense reconstruction, in blocks")
func reconstructMatchesDense() throws {
    let data = randomRatings(rows: 10, columns: 8, density: 0.5, seed: 2)
    let queries = randomRatings(rows: 10, columns: 8, density: 0.3, seed: 9)
    let model = try AutoRec(configuration: AutoRecConfiguration(hidden: [5]), inputSize: 8)
    let p: Parameters<Double> = model.graph.initialParameters(seed: 3)
    let values = model.reconstruct(inputs: data, at: queries, parameters: p, blockSize: 3)
    let full = model.reconstructRows(inputs: data, parameters: p)
    var k = 0
    for r in 0..<queries.rows {
        for q in queries.rowPointers[r]..<queries.rowPointers[r + 1] {
            #expect(abs(values[k] - full[r, Int(queries.columnIndices[q])]) < 1e-12)
            k += 1
        }
    }
    #expect(k == values.count)
}
