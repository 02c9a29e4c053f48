import TapeGrad

/// RMSProp (Tieleman & Hinton 2012), as in PyTorch's `torch.optim.RMSprop` (not centred, no
/// weight decay).
///
/// Why: dividing by a running root mean square of the gradient gives every element a step of
/// roughly η regardless of its gradient's scale, like Rprop but usable with mini-batches.
///
/// Per element, with gradient g, learning rate η, smoothing α, ε and momentum μ:
///
///     v ← α·v + (1 − α)·g²
///     b ← μ·b + g / (√v + ε);  p ← p − η·b      (μ > 0)
///     p ← p − η·g / (√v + ε)                     (μ = 0)
///
/// v and b start at 0. Unlike Adam there is no bias correction, so the first steps are larger
/// (v is small), as in PyTorch.
///
/// Memory: one tensor of parameter size (v), two with momentum (v, b). State: `PARAM/v`,
/// `PARAM/momentum` (with momentum; both after the first update) and `step` (rank 0).
public struct RMSProp<Scalar: TensorScalar>: Optimizer, LearningRateAdjustable, Sendable {
    /// η. Settable, so a training loop can apply a ``LearningRateSchedule`` between steps.
    public var learningRate: Scalar
    /// α, the decay of the running mean of g².
    public var alpha: Scalar
    /// ε, added to √v.
    public var epsilon: Scalar
    /// μ in [0, 1); 0 disables momentum. Fixed at creation because it decides the state's shape.
    public let momentum: Scalar
    /// The number of updates taken.
    public private(set) var stepCount = 0

    private var layout = OptimizerLayout()
    private var squareAverage: [Tensor<Scalar>] = []
    private var buffer: [Tensor<Scalar>] = []

    /// Creates the optimizer with PyTorch's defaults.
    public init(learningRate: Scalar = 0.01, alpha: Scalar = 0.99, epsilon: Scalar = 1e-8, momentum: Scalar = 0) {
        precondition(alpha >= 0 && alpha < 1, "RMSProp: alpha must be in [0, 1), got \(alpha)")
        precondition(momentum >= 0 && momentum < 1, "RMSProp: momentum must be in [0, 1), got \(momentum)")
        precondition(epsilon >= 0, "RMSProp: epsilon must be non-negative, got \(epsilon)")
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.momentum = momentum
    }

    /// Takes one step along the gradient (see the type's documentation for the formulas).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func update(_ parameters: inout Parameters<Scalar>, along gradient: Parameters<Scalar>) {
        if squareAverage.isEmpty {
            OptimizerLayout.checkGradient(parameters, gradient, optimizer: "RMSProp")
            layout = OptimizerLayout(parameters)
            squareAverage = parameters.tensors.map { .zeros($0.shape) }
            if momentum != 0 { buffer = squareAverage }
        } else {
            layout.check(parameters, gradient, optimizer: "RMSProp")
        }
        let (eta, a, oneMinusA, eps, mu) = (learningRate, alpha, 1 - alpha, epsilon, momentum)
        // `v.magnitude.squareRoot()`: v ≥ 0 already, but without the |·| the square root is a
        // C `sqrtf` call that may set errno for negative input, which keeps LLVM from
        // vectorising the loop (10× slower); with it, it becomes `vsqrtps`.
        for i in 0..<parameters.count {
            gradient.tensors[i].scalars.withUnsafeBufferPointer { g in
                parameters.tensors[i].scalars.withUnsafeMutableBufferPointer { p in
                    squareAverage[i].scalars.withUnsafeMutableBufferPointer { v in
                        if mu == 0 {
                            optimizerChunks(p.count) { [p, g, v] range in
                                for j in range {
                                    let gj = g[j]
                                    let vj = a * v[j] + oneMinusA * gj * gj
                                    v[j] = vj
                                    p[j] -= eta * (gj / (vj.magnitude.squareRoot() + eps))
                                }
                            }
                            return
                        }
                        buffer[i].scalars.withUnsafeMutableBufferPointer { b in
                            optimizerChunks(p.count) { [p, g, v, b] range in
                                for j in range {
                                    let gj = g[j]
                                    let vj = a * v[j] + oneMinusA * gj * gj
                                    v[j] = vj
                                    let bj = mu * b[j] + gj / (vj.magnitude.squareRoot() + eps)
                                    b[j] = bj
                                    p[j] -= eta * bj
                                }
                            }
                        }
                    }
                }
            }
        }
        stepCount += 1
    }

    /// `PARAM/v`, `PARAM/momentum` (with momentum) for every parameter and `step`.
    public var state: Parameters<Scalar> {
        OptimizerStateCoding.encode(layout: layout, slots: [("v", squareAverage), ("momentum", buffer)],
                                    scalars: [("step", Double(stepCount))])
    }

    /// Restores a state saved by ``state``.
    public mutating func restore(_ state: Parameters<Scalar>) throws(OptimizerStateError) {
        let decoded = try OptimizerStateCoding.decode(state, optimizer: "RMSProp",
                                                      slots: momentum != 0 ? ["v", "momentum"] : ["v"],
                                                      scalars: ["step"], expected: layout)
        let step = try OptimizerStateCoding.count(decoded.scalars[0], name: "step", optimizer: "RMSProp")
        if decoded.layout.isEmpty && step != 0 {
            throw OptimizerStateError("RMSProp state: 'step' is \(step) but there is no 'PARAM/v'")
        }
        stepCount = step
        layout = decoded.layout
        squareAverage = decoded.slots[0]
        buffer = momentum != 0 ? decoded.slots[1] : []
    }
}
