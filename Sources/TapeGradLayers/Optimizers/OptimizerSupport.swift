import TapeGrad

// Bookkeeping shared by the optimizers: which parameters their per-parameter state belongs to,
// the conversion of that state to and from named tensors, and the checks on a saved state.
// The arithmetic lives in each optimizer's file, next to its formulas.

/// The names and shapes of the parameters an optimizer's per-parameter state belongs to.
///
/// Optimizers create their state lazily at the first update, because they are constructed
/// before they see the parameters; from then on every update checks that the parameters and
/// the gradient still have these names and shapes (a mismatch is a programming error and
/// traps, since `update` cannot throw).
struct OptimizerLayout: Sendable, Equatable {
    var names: [String] = []
    var shapes: [[Int]] = []

    /// Whether the layout has been fixed (by a first update or a restored state).
    var isEmpty: Bool { names.isEmpty }

    init() {}

    init(_ parameters: Parameters<some TensorScalar>) {
        names = parameters.names
        shapes = parameters.tensors.map(\.shape)
    }

    init(names: [String], shapes: [[Int]]) {
        self.names = names
        self.shapes = shapes
    }

    /// Traps unless `parameters` and `gradient` have this layout's names and shapes.
    func check<S: TensorScalar>(_ parameters: Parameters<S>, _ gradient: Parameters<S>, optimizer: String) {
        precondition(parameters.names == names,
                     "\(optimizer): parameters \(parameters.names) differ from the optimizer's \(names)")
        for i in 0..<names.count where parameters.tensors[i].shape != shapes[i] {
            preconditionFailure("\(optimizer): '\(names[i])' has shape \(parameters.tensors[i].shape), the optimizer's state has \(shapes[i])")
        }
        OptimizerLayout.checkGradient(parameters, gradient, optimizer: optimizer)
    }

    /// Traps unless the gradient has the parameters' names and shapes.
    static func checkGradient<S: TensorScalar>(_ parameters: Parameters<S>, _ gradient: Parameters<S>, optimizer: String) {
        precondition(gradient.names == parameters.names,
                     "\(optimizer): gradient names \(gradient.names) differ from parameter names \(parameters.names)")
        for i in 0..<parameters.count where gradient.tensors[i].shape != parameters.tensors[i].shape {
            preconditionFailure("\(optimizer): gradient of '\(parameters.names[i])' has shape \(gradient.tensors[i].shape), the parameter has \(parameters.tensors[i].shape)")
        }
    }
}

/// Builds and parses the named-tensor form of optimizer state.
///
/// A state is a ``Parameters`` holding, for every parameter `P`, one tensor per slot named
/// `P/slot` with `P`'s shape (e.g. `encoder.weight/m`), in parameter order, followed by scalar
/// counters as rank-0 tensors with names without a slash (e.g. `step`). Parameter names may
/// themselves contain slashes: the slot is what follows the last one.
enum OptimizerStateCoding {
    /// The state tensors for `layout`: `slots[k].tensors[i]` is slot `slots[k].name` of
    /// parameter `i`. Per-parameter tensors come first, grouped by parameter.
    static func encode<S: TensorScalar>(layout: OptimizerLayout, slots: [(name: String, tensors: [Tensor<S>])],
                                        scalars: [(String, Double)]) -> Parameters<S> {
        var state = Parameters<S>()
        for i in 0..<layout.names.count {
            for slot in slots where !slot.tensors.isEmpty {
                state.append(layout.names[i] + "/" + slot.name, slot.tensors[i], regularized: false)
            }
        }
        for (name, value) in scalars {
            state.append(name, Tensor(scalar: S(value)), regularized: false)
        }
        return state
    }

    /// The result of ``decode(_:optimizer:slots:scalars:expected:)``.
    struct Decoded<S: TensorScalar> {
        /// The parameters the state belongs to (empty when it holds no per-parameter tensor).
        var layout = OptimizerLayout()
        /// `slots[k][i]`: slot `k` of parameter `i`.
        var slots: [[Tensor<S>]]
        /// The scalars, in the order asked for.
        var scalars: [Double]
    }

    /// Parses and checks a saved state.
    ///
    /// - Parameters:
    ///   - slots: the slot names every parameter must have (all or none of them: a state
    ///     saved before the first update has none).
    ///   - scalars: the rank-0 tensors the state must have.
    ///   - expected: the layout the optimizer already has, if any: a state with per-parameter
    ///     tensors must then be for exactly these parameters and shapes.
    static func decode<S: TensorScalar>(_ state: Parameters<S>, optimizer: String, slots: [String],
                                        scalars: [String], expected: OptimizerLayout) throws(OptimizerStateError) -> Decoded<S> {
        var scalarValues = [Double?](repeating: nil, count: scalars.count)
        var names: [String] = []
        var shapes: [[Int]] = []
        var byName: [String: Int] = [:]
        var table: [[Tensor<S>?]] = []  // table[i][k]
        for (name, tensor) in zip(state.names, state.tensors) {
            if let k = scalars.firstIndex(of: name) {
                guard tensor.rank == 0 else {
                    throw OptimizerStateError("\(optimizer) state: '\(name)' must be a scalar (shape []), got shape \(tensor.shape)")
                }
                scalarValues[k] = Double(tensor.scalar)
                continue
            }
            guard let slash = name.lastIndex(of: "/") else {
                throw OptimizerStateError("\(optimizer) state: unexpected tensor '\(name)'; expected \(scalars.map { "'\($0)'" }.joined(separator: ", ")) and PARAMETER/\(slots.joined(separator: "|"))")
            }
            let parameter = String(name[..<slash])
            let slot = String(name[name.index(after: slash)...])
            guard let k = slots.firstIndex(of: slot) else {
                let known = slots.isEmpty ? "none" : slots.map { "'\($0)'" }.joined(separator: ", ")
                throw OptimizerStateError("\(optimizer) state: '\(name)' has unknown slot '\(slot)' (this optimizer's slots: \(known))")
            }
            let i: Int
            if let existing = byName[parameter] {
                i = existing
                guard tensor.shape == shapes[i] else {
                    throw OptimizerStateError("\(optimizer) state: '\(name)' has shape \(tensor.shape), but '\(parameter)/\(slots[table[i].firstIndex { $0 != nil }!])' has shape \(shapes[i])")
                }
            } else {
                i = names.count
                byName[parameter] = i
                names.append(parameter)
                shapes.append(tensor.shape)
                table.append([Tensor<S>?](repeating: nil, count: slots.count))
            }
            table[i][k] = tensor
        }
        for (k, value) in scalarValues.enumerated() where value == nil {
            throw OptimizerStateError("\(optimizer) state: missing scalar '\(scalars[k])'")
        }
        for i in 0..<names.count {
            for k in 0..<slots.count where table[i][k] == nil {
                throw OptimizerStateError("\(optimizer) state: missing '\(names[i])/\(slots[k])'")
            }
        }
        let layout = OptimizerLayout(names: names, shapes: shapes)
        if !expected.isEmpty && !layout.isEmpty {
            try check(layout, against: expected, optimizer: optimizer, slot: slots.first ?? "")
        }
        let columns = (0..<slots.count).map { k in table.map { $0[k]! } }
        return Decoded(layout: layout, slots: columns, scalars: scalarValues.map { $0! })
    }

    /// Throws unless a saved layout is the expected one, naming the first tensor that differs.
    static func check(_ saved: OptimizerLayout, against expected: OptimizerLayout, optimizer: String, slot: String) throws(OptimizerStateError) {
        for (i, name) in expected.names.enumerated() {
            guard let j = saved.names.firstIndex(of: name) else {
                throw OptimizerStateError("\(optimizer) state: no state for parameter '\(name)' (shape \(expected.shapes[i]))")
            }
            guard saved.shapes[j] == expected.shapes[i] else {
                throw OptimizerStateError("\(optimizer) state: '\(name)/\(slot)' has shape \(saved.shapes[j]), but parameter '\(name)' has shape \(expected.shapes[i])")
            }
        }
        for name in saved.names where !expected.names.contains(name) {
            throw OptimizerStateError("\(optimizer) state: '\(name)' is not a parameter of this optimizer (parameters: \(expected.names))")
        }
        guard saved.names == expected.names else {
            throw OptimizerStateError("\(optimizer) state: parameters in order \(saved.names), expected \(expected.names)")
        }
    }

    /// A counter saved as a rank-0 tensor, checked to be a non-negative integer.
    static func count(_ value: Double, name: String, optimizer: String) throws(OptimizerStateError) -> Int {
        guard value >= 0, value == value.rounded(), value < 9.0e15 else {
            throw OptimizerStateError("\(optimizer) state: '\(name)' must be a non-negative integer, got \(value)")
        }
        return Int(value)
    }
}

extension Optimizer {
    /// Restores a saved state after checking it against the parameters it will update.
    ///
    /// ``Optimizer/restore(_:)`` alone can only check a state against the optimizer's own
    /// layout, which a freshly constructed optimizer does not have yet (it learns the names and
    /// shapes at its first update). When resuming from a checkpoint, call this instead: every
    /// per-parameter tensor `P/slot` must belong to a parameter `P` of `parameters` and have its
    /// shape, and if the state has any per-parameter tensor, every parameter must have one.
    /// The error names the tensor and both shapes.
    public mutating func restore(_ state: Parameters<Scalar>, for parameters: Parameters<Scalar>) throws(OptimizerStateError) {
        let optimizer = String(String(describing: Self.self).prefix { $0 != "<" })
        var covered = Set<String>()
        for (name, tensor) in zip(state.names, state.tensors) {
            guard let slash = name.lastIndex(of: "/") else { continue }
            let parameter = String(name[..<slash])
            guard let p = parameters[parameter] else {
                throw OptimizerStateError("\(optimizer) state: '\(name)' belongs to no parameter (parameters: \(parameters.names))")
            }
            guard p.shape == tensor.shape else {
                throw OptimizerStateError("\(optimizer) state: '\(name)' has shape \(tensor.shape), but parameter '\(parameter)' has shape \(p.shape)")
            }
            covered.insert(parameter)
        }
        if !covered.isEmpty {
            for (name, tensor) in zip(parameters.names, parameters.tensors) where !covered.contains(name) {
                throw OptimizerStateError("\(optimizer) state: no state for parameter '\(name)' (shape \(tensor.shape))")
            }
        }
        try restore(state)
    }
}

/// Runs `body` over `0..<count` in contiguous chunks, in parallel for large tensors.
///
/// Callers capture their buffer pointers by value (`{ [p, g] range in … }`): the pointers that
/// `withUnsafeMutableBufferPointer` hands out are `inout`, and a closure capturing them by
/// reference reloads them after every store, which keeps the loop from vectorising.
///
/// Optimizer updates are elementwise and memory bound; splitting a tensor of millions of
/// elements over the cores shortens the step, and since each element is computed the same
/// way in any chunk, the result does not depend on the thread count.
@inline(__always)
func optimizerChunks(_ count: Int, _ body: (Range<Int>) -> Void) {
    Parallelism.forChunks(count, grain: 1 << 16, body)
}
