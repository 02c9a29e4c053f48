/// A reverse-mode tape (a Wengert list): every op applied to a ``Variable`` appends one node
/// holding its inputs and its pullback.
///
/// Nodes are appended in creation order, and an op's inputs always exist before the op, so
/// walking the list backwards is already a topological order: the backward pass needs no
/// recursion (no stack overflow on deep graphs) and no node ids beyond the array index.
/// A variable used several times simply receives several contributions, which are summed.
///
/// Gradients are returned as values by ``gradients(of:withRespectTo:seed:)``; nothing is stored
/// on the nodes, so there is nothing to zero and asking twice gives the same answer.
/// Which leaves are parameters and which are constants is decided by that call's `wrt` list,
/// not by a flag on the tensor; pullbacks are told which of their inputs lead to a requested
/// gradient and skip the others (the data matrix of `X · W` costs nothing).
///
/// A tape created with `recording: false` evaluates ops without storing anything: the
/// inference path, with the same code as training.
///
/// A tape is used from one thread at a time (it is not `Sendable`); the kernels inside each op
/// are what run in parallel.
public final class Tape<Scalar: TensorScalar> {
    /// An op's pullback: given the gradient of the loss with respect to the op's output and
    /// which inputs need a gradient, returns one gradient per input (nil where not needed),
    /// each with its input's shape.
    public typealias Pullback = (_ upstream: Tensor<Scalar>, _ needed: [Bool]) -> [Tensor<Scalar>?]

    /// One recorded op.
    struct Node {
        /// The name of the op, for graph dumps and error messages.
        var op: String
        /// The tape indices of the op's inputs.
        var inputs: [Int]
        /// The output's shape, to check pullbacks and to seed the backward pass.
        var shape: [Int]
        /// nil for a leaf (a variable created with ``Tape/variable(_:name:)``).
        var pullback: Pullback?
    }

    /// Whether ops append nodes (training) or only compute values (inference).
    public let isRecording: Bool
    /// The recorded nodes in creation order.
    private(set) var nodes: [Node] = []

    /// Creates an empty tape. With `recording: false` nothing is stored and gradients cannot
    /// be requested.
    public init(recording: Bool = true) {
        isRecording = recording
    }

    /// The number of recorded nodes.
    public var count: Int { nodes.count }

    /// Puts a tensor on the tape as a leaf: a parameter, an input or a constant (they are the
    /// same thing until a gradient is requested).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func variable(_ value: Tensor<Scalar>, name: String = "") -> Variable<Scalar> {
        guard isRecording else { return Variable(value: value, tape: self, index: -1) }
        nodes.append(Node(op: name.isEmpty ? "leaf" : name, inputs: [], shape: value.shape, pullback: nil))
        return Variable(value: value, tape: self, index: nodes.count - 1)
    }

    /// Records an op's result. Every op in `Ops/` ends with this call; it is also the
    /// extension point for ops defined outside the library (see Docs/AddingAnOp.md).
    ///
    /// - Parameters:
    ///   - value: the op's forward result.
    ///   - op: a short name for dumps and messages.
    ///   - inputs: the variables the value was computed from, in the order the pullback
    ///     returns their gradients.
    ///   - pullback: maps the output's gradient to the inputs' gradients.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func record(_ value: Tensor<Scalar>, op: String, inputs: [Variable<Scalar>],
                       pullback: @escaping Pullback) -> Variable<Scalar> {
        guard isRecording else { return Variable(value: value, tape: self, index: -1) }
        for input in inputs {
            precondition(input.tape === self, "\(op): an input belongs to another tape")
        }
        // A closure, not a key path: `map(\.index)` builds the key path at run time on every
        // call, which was a sixth of the cost of a tiny op.
        nodes.append(Node(op: op, inputs: inputs.map { $0.index }, shape: value.shape, pullback: pullback))
        return Variable(value: value, tape: self, index: nodes.count - 1)
    }

    /// The gradients of `output` with respect to each variable in `wrt`, in order.
    ///
    /// - Parameters:
    ///   - output: usually a scalar loss. For an output with several elements, `seed` gives
    ///     the vector v of the vector–Jacobian product vᵀJ (default: all ones).
    ///   - wrt: the variables to differentiate with respect to; a variable the output does
    ///     not depend on gets a zero gradient.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func gradients(of output: Variable<Scalar>, withRespectTo wrt: [Variable<Scalar>],
                          seed: Tensor<Scalar>? = nil) -> [Tensor<Scalar>] {
        precondition(isRecording, "gradients(of:withRespectTo:): the tape was created with recording: false")
        precondition(output.tape === self && wrt.allSatisfy { $0.tape === self },
                     "gradients(of:withRespectTo:): variables belong to another tape")
        let seedValue = seed ?? Tensor(repeating: 1, shape: output.value.shape)
        precondition(seedValue.shape == output.value.shape,
                     "gradients(of:withRespectTo:): seed shape \(seedValue.shape) differs from output shape \(output.value.shape)")

        // Forward sweep: which nodes lie on a path from a requested variable.
        let end = output.index + 1
        var needed = [Bool](repeating: false, count: end)
        var requested = [Bool](repeating: false, count: end)
        for v in wrt where v.index < end { needed[v.index] = true; requested[v.index] = true }
        for i in 0..<end where !needed[i] {
            for input in nodes[i].inputs where needed[input] { needed[i] = true; break }
        }

        // Backward sweep in reverse creation order.
        var grads = [Tensor<Scalar>?](repeating: nil, count: end)
        grads[output.index] = seedValue
        for i in stride(from: output.index, through: 0, by: -1) {
            guard needed[i], let upstream = grads[i], let pullback = nodes[i].pullback else { continue }
            let node = nodes[i]
            let inputNeeds = node.inputs.map { needed[$0] }
            let inputGrads = pullback(upstream, inputNeeds)
            precondition(inputGrads.count == node.inputs.count,
                         "\(node.op): pullback returned \(inputGrads.count) gradients for \(node.inputs.count) inputs")
            for (slot, input) in node.inputs.enumerated() where inputNeeds[slot] {
                guard let g = inputGrads[slot] else { continue }
                precondition(g.shape == nodes[input].shape,
                             "\(node.op): pullback gave a gradient of shape \(g.shape) for input \(slot) of shape \(nodes[input].shape)")
                if grads[input] == nil { grads[input] = g } else { grads[input]!.add(g) }
            }
            if !requested[i] { grads[i] = nil }  // free intermediates early
        }
        return wrt.map { v in
            (v.index < end ? grads[v.index] : nil) ?? Tensor.zeros(nodes[v.index].shape)
        }
    }
}
