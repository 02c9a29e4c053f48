import TapeGrad

/// A graph applied to data, evaluated on demand: ask for an output as a dense matrix, for an
/// output only at the entries of a pattern, or for the square loss at a pattern, and the graph
/// computes what that needs and no more (from ``Graph/evaluation(_:parameters:context:)``).
///
/// At a pattern, each node is evaluated the cheapest way its layer offers: an elementwise
/// layer (activations, dropout, ``Add``) applies to its inputs' values at the pattern, a layer
/// with its own way (``Dense``: the sampled product plus the gathered bias) computes the
/// entries from its dense inputs, and any other layer computes its full output, from which the
/// entries are gathered. So appending a layer never breaks the sparse path; it only decides
/// how much of it stays sparse. For the square loss, the output's layer may fuse itself with
/// the loss (``Layer/squaredError(_:parameters:context:at:)``).
///
/// Values are computed once per evaluation (a node read by two consumers, or requested
/// twice, is not recomputed), in the graph's node order, so dropout masks and noise draw from
/// the context's generator in a fixed order.
public final class GraphEvaluation<Scalar: TensorScalar> {
    /// What is requested of a node.
    enum Request {
        case dense
        case entries(SparseMatrix<Scalar>)
        case squaredError(SparseMatrix<Scalar>)
    }

    /// The graph.
    public let graph: Graph
    /// The context every layer receives.
    public let context: ForwardContext<Scalar>
    /// The stored parameters' variables, then the tied ones computed from them.
    private let parameters: [Variable<Scalar>]
    /// Each node's full value, once computed.
    private var values: [LayerValue<Scalar>?]

    /// Binds checked input values (in the order of `graph.inputs`) and computes the tied
    /// parameters.
    init(graph: Graph, inputs: [LayerValue<Scalar>], parameters stored: [Variable<Scalar>], context: ForwardContext<Scalar>) {
        precondition(stored.count == graph.parameterSpecs.count,
                     "Graph: \(stored.count) parameter variables for the graph's \(graph.parameterSpecs.count) parameters")
        precondition(inputs.count == graph.inputs.count, "Graph: \(inputs.count) input values for \(graph.inputs.count) inputs")
        self.graph = graph
        self.context = context
        var all = stored
        for tie in graph.tied { all.append(tie.function(tie.sources.map { stored[$0] })) }
        parameters = all
        values = Array(repeating: nil, count: graph.steps.count)
        for (input, value) in zip(graph.inputs, inputs) { values[input.step] = value }
    }

    /// The number of rows of the batch.
    public var rows: Int { graph.inputs.first.flatMap { values[$0.step]?.rows } ?? 0 }

    /// An output (the first when `name` is nil) as a dense batch × features matrix.
    public func output(_ name: String? = nil) throws(GraphError) -> Variable<Scalar> {
        let step = try endpoint(name).step
        switch value(of: step) {
        case .dense(let v): return v
        case .sparse(let s): return context.tape.variable(s.toDense())
        case .ids: preconditionFailure("Graph: output '\(graph.steps[step].label)' holds ids")
        }
    }

    /// An output only at the stored entries of `pattern` (rows = the batch, columns = the
    /// output's features): a vector in the pattern's entry order.
    public func output(_ name: String? = nil, at pattern: SparseMatrix<Scalar>) throws(GraphError) -> Variable<Scalar> {
        let step = try check(pattern, against: endpoint(name))
        return evaluate(step, .entries(pattern))!
    }

    /// The square loss Σₚ (yₚ − vₚ)² of an output y at the stored entries p of `targets`
    /// (values v): only those entries are computed, and the output's layer may fuse itself
    /// with the loss.
    public func squaredError(_ name: String? = nil, at targets: SparseMatrix<Scalar>) throws(GraphError) -> Variable<Scalar> {
        let step = try check(targets, against: endpoint(name))
        return evaluate(step, .squaredError(targets))!
    }

    private func endpoint(_ name: String?) throws(GraphError) -> Graph.Endpoint {
        guard let name else { return graph.outputs[0] }
        guard let output = graph.outputs.first(where: { $0.name == name }) else {
            throw GraphError("no output named '\(name)'; the graph's outputs are \(graph.outputs.map { "'\($0.name)'" }.joined(separator: ", "))")
        }
        return output
    }

    private func check(_ pattern: SparseMatrix<Scalar>, against output: Graph.Endpoint) throws(GraphError) -> Int {
        guard pattern.rows == rows, pattern.columns == output.shape.features else {
            throw GraphError("output '\(output.name)' is \(rows)×\(output.shape.features) (\(output.shape)) but the pattern is \(pattern.rows)×\(pattern.columns)")
        }
        return output.step
    }

    /// A node's full value.
    func value(of step: Int) -> LayerValue<Scalar> {
        _ = evaluate(step, .dense)
        return values[step]!
    }

    /// Evaluates node `o` as requested: nil for `.dense` (the value is then in `values[o]`),
    /// the entries or the loss otherwise. A backward pass over the nodes marks what each
    /// needs (full values or values at the pattern); a forward pass computes it.
    @discardableResult
    func evaluate(_ o: Int, _ request: Request) -> Variable<Scalar>? {
        let steps = graph.steps
        var needValue = [Bool](repeating: false, count: o + 1)
        var needEntries = [Bool](repeating: false, count: o + 1)
        let pattern: SparseMatrix<Scalar>?
        switch request {
        case .dense: needValue[o] = true; pattern = nil
        case .entries(let p), .squaredError(let p): needEntries[o] = true; pattern = p
        }
        for i in stride(from: o, through: 0, by: -1) {
            let step = steps[i]
            if needEntries[i] {
                if step.layer == nil {
                    needValue[i] = true
                } else {
                    for j in step.inputs {
                        if step.isElementwise { needEntries[j] = true } else { needValue[j] = true }
                    }
                }
            }
            if needValue[i] && values[i] == nil { for j in step.inputs { needValue[j] = true } }
        }
        var entries = [Variable<Scalar>?](repeating: nil, count: o + 1)
        for i in 0...o {
            if needValue[i] && values[i] == nil { values[i] = compute(i) }
            guard needEntries[i], let pattern else { continue }
            let step = steps[i]
            guard let layer = step.layer else {
                entries[i] = gather(values[i]!, at: pattern)
                continue
            }
            let parameters = step.parameters.map { self.parameters[$0] }
            if step.isElementwise {
                let inputs = step.inputs.map { LayerValue<Scalar>.dense(entries[$0]!) }
                entries[i] = layer.forward(inputs, parameters: parameters, context: context).denseValue(for: layer.kind)
                continue
            }
            let inputs = step.inputs.map { values[$0]! }
            if i == o, case .squaredError(let targets) = request,
               let loss = layer.squaredError(inputs, parameters: parameters, context: context, at: targets) {
                return loss
            }
            if let sampled = layer.forward(inputs, parameters: parameters, context: context, at: pattern) {
                entries[i] = sampled
            } else {
                if values[i] == nil { values[i] = compute(i) }
                entries[i] = gather(values[i]!, at: pattern)
            }
        }
        switch request {
        case .dense: return nil
        case .entries: return entries[o]!
        case .squaredError(let targets): return sampledSquareLoss(entries[o]!, targets: targets)
        }
    }

    /// A layer node's full value from its inputs' values.
    private func compute(_ i: Int) -> LayerValue<Scalar> {
        let step = graph.steps[i]
        guard let layer = step.layer else { preconditionFailure("Graph: input '\(step.label)' has no value") }
        return layer.forward(step.inputs.map { values[$0]! }, parameters: step.parameters.map { parameters[$0] }, context: context)
    }

    /// The entries of a full value at a pattern, gathered (the fallback for layers that cannot
    /// evaluate at a pattern themselves).
    private func gather(_ value: LayerValue<Scalar>, at pattern: SparseMatrix<Scalar>) -> Variable<Scalar> {
        let y: Variable<Scalar>
        switch value {
        case .dense(let v): y = v
        case .sparse(let s): y = context.tape.variable(s.toDense())
        case .ids: preconditionFailure("Graph: cannot evaluate ids at a pattern")
        }
        precondition(y.shape == [pattern.rows, pattern.columns],
                     "Graph: gathering a pattern of \(pattern.rows)×\(pattern.columns) from a value of shape \(y.shape)")
        precondition(y.value.count <= Int(Int32.max), "Graph: gathering from \(y.shape): more entries than Int32 indices reach")
        let columns = pattern.columns
        var indices = [Int32]()
        indices.reserveCapacity(pattern.nonzeroCount)
        for r in 0..<pattern.rows {
            for q in pattern.rowPointers[r]..<pattern.rowPointers[r + 1] {
                indices.append(Int32(r * columns + Int(pattern.columnIndices[q])))
            }
        }
        return TapeGrad.gather(y.reshaped([y.value.count]), at: indices)
    }
}
