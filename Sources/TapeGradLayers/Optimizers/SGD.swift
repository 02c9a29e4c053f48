import TapeGrad

/// Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay, in the
/// PyTorch convention (`torch.optim.SGD` with dampening 0), so that hyperparameters tuned there
/// carry over.
///
/// Per element, with gradient g, parameter p, learning rate η, momentum μ and weight decay λ:
///
///     g ← g + λ·p                       (only for tensors marked `regularized`)
///     v ← μ·v + g                       (v starts at 0, so the first v is g)
///     p ← p − η·v                       (classical momentum)
///     p ← p − η·(g + μ·v)               (Nesterov, with the new v)
///
/// Without momentum (μ = 0) this is plain p ← p − η·g and the optimizer keeps no state.
/// Momentum here accumulates raw gradients and the learning rate multiplies the sum, unlike
/// the v ← μv − ηg convention of Sutskever et al.: the two agree for a constant η but differ
/// when a schedule changes η.
///
/// Weight decay is applied only to tensors whose `regularized` flag is set (weights, not
/// biases), following ``Parameters``; PyTorch applies it to every tensor in the group.
///
/// Memory: one tensor of parameter size (v) with momentum, none without.
///
/// State: `PARAM/momentum` (with momentum, after the first update) and `step` (rank 0).
public struct SGD<Scalar: TensorScalar>: Optimizer, LearningRateAdjustable, Sendable {
    /// η. Settable, so a training loop can apply a ``LearningRateSchedule`` between steps.
    public var learningRate: Scalar
    /// μ in [0, 1); 0 disables momentum. Fixed at creation because it decides the state's shape.
    public let momentum: Scalar
    /// Whether to use Nesterov momentum (requires μ > 0).
    public var nesterov: Bool
    /// λ, the L2 penalty coefficient added to the gradient of regularised tensors.
    public var weightDecay: Scalar
    /// The number of updates taken.
    public private(set) var stepCount = 0

    private var layout = OptimizerLayout()
    private var velocity: [Tensor<Scalar>] = []

    /// Creates the optimizer. Defaults: η = 0.01, no momentum, no weight decay.
    public init(learningRate: Scalar = 0.01, momentum: Scalar = 0, nesterov: Bool = false, weightDecay: Scalar = 0) {
        precondition(momentum >= 0 && momentum < 1, "SGD: momentum must be in [0, 1), got \(momentum)")
        precondition(!nesterov || momentum > 0, "SGD: Nesterov momentum needs momentum > 0")
        precondition(weightDecay >= 0, "SGD: weight decay must be non-negative, got \(weightDecay)")
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    /// Takes one step along the gradient (see the type's documentation for the formulas).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func update(_ parameters: inout Parameters<Scalar>, along gradient: Parameters<Scalar>) {
        OptimizerLayout.checkGradient(parameters, gradient, optimizer: "SGD")
        let usesMomentum = momentum != 0
        if usesMomentum {
            if velocity.isEmpty {
                layout = OptimizerLayout(parameters)
                velocity = parameters.tensors.map { .zeros($0.shape) }
            } else {
                layout.check(parameters, gradient, optimizer: "SGD")
            }
        }
        let (eta, mu, nesterov) = (learningRate, momentum, nesterov)
        for i in 0..<parameters.count {
            let lambda = parameters.regularized[i] ? weightDecay : 0
            gradient.tensors[i].scalars.withUnsafeBufferPointer { g in
                parameters.tensors[i].scalars.withUnsafeMutableBufferPointer { p in
                    if !usesMomentum {
                        optimizerChunks(p.count) { [p, g] range in
                            for j in range { p[j] -= eta * (g[j] + lambda * p[j]) }
                        }
                        return
                    }
                    velocity[i].scalars.withUnsafeMutableBufferPointer { v in
                        optimizerChunks(p.count) { [p, g, v] range in
                            if nesterov {
                                for j in range {
                                    let d = g[j] + lambda * p[j]
                                    let vj = mu * v[j] + d
                                    v[j] = vj
                                    p[j] -= eta * (d + mu * vj)
                                }
                            } else {
                                for j in range {
                                    let d: Scalar = g[j] + lambda * p[j]
                                    let vj: Scalar = mu * v[j] + d
                                    v[j] = vj
                                    p[j] -= eta * vj
                                }
                            }
                        }
                    }
                }
            }
        }
        stepCount += 1
    }

    /// `PARAM/momentum` for every parameter (once momentum has been used) and `step`.
    public var state: Parameters<Scalar> {
        OptimizerStateCoding.encode(layout: layout, slots: [("momentum", velocity)],
                                    scalars: [("step", Double(stepCount))])
    }

    /// Restores a state saved by ``state``. A state without momentum buffers (saved before the
    /// first update, or without momentum) resets them to zero.
    public mutating func restore(_ state: Parameters<Scalar>) throws(OptimizerStateError) {
        let decoded = try OptimizerStateCoding.decode(state, optimizer: "SGD", slots: momentum != 0 ? ["momentum"] : [],
                                                      scalars: ["step"], expected: layout)
        stepCount = try OptimizerStateCoding.count(decoded.scalars[0], name: "step", optimizer: "SGD")
        layout = decoded.layout
        velocity = decoded.slots.first ?? []
    }
}
