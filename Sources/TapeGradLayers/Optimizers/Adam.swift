#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import TapeGrad

/// Adam (Kingma & Ba 2015) with bias correction, as in PyTorch's `torch.optim.Adam`.
///
/// Why: per-element step sizes from running moments make it insensitive to the gradient's
/// scale and robust with mini-batches, the usual default for neural networks.
///
/// Per element, at step t = 1, 2, … with gradient g, learning rate η, β₁, β₂ and ε:
///
///     m ← β₁·m + (1 − β₁)·g            (computed as m + (1 − β₁)·(g − m), like PyTorch's lerp)
///     v ← β₂·v + (1 − β₂)·g²
///     p ← p − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// m and v start at 0; the factors 1 − βᵗ undo their bias towards 0 in the first steps. The
/// step factors are computed in Double once per step, the per-element arithmetic in `Scalar`.
///
/// Memory: two tensors of parameter size (m, v). State: `PARAM/m`, `PARAM/v` (after the first
/// update) and `step` (rank 0).
public struct Adam<Scalar: TensorScalar>: Optimizer, LearningRateAdjustable, Sendable {
    /// η. Settable, so a training loop can apply a ``LearningRateSchedule`` between steps.
    public var learningRate: Scalar
    /// β₁, the decay of the first-moment (mean) estimate.
    public var beta1: Scalar
    /// β₂, the decay of the second-moment (uncentred variance) estimate.
    public var beta2: Scalar
    /// ε, added to the denominator so that elements with a zero gradient history do not
    /// divide by zero.
    public var epsilon: Scalar
    /// The number of updates taken (t).
    public private(set) var stepCount = 0

    /// λ of AdamW's decoupled weight decay; 0 for Adam.
    var decoupledWeightDecay: Scalar = 0
    /// The name in messages: "Adam" or "AdamW".
    var name = "Adam"
    private var layout = OptimizerLayout()
    private var m: [Tensor<Scalar>] = []
    private var v: [Tensor<Scalar>] = []

    /// Creates the optimizer with PyTorch's defaults.
    public init(learningRate: Scalar = 1e-3, beta1: Scalar = 0.9, beta2: Scalar = 0.999, epsilon: Scalar = 1e-8) {
        precondition(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1,
                     "Adam: betas must be in [0, 1), got \(beta1), \(beta2)")
        precondition(epsilon >= 0, "Adam: epsilon must be non-negative, got \(epsilon)")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// Takes one step along the gradient (see the type's documentation for the formulas).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func update(_ parameters: inout Parameters<Scalar>, along gradient: Parameters<Scalar>) {
        if m.isEmpty {
            OptimizerLayout.checkGradient(parameters, gradient, optimizer: name)
            layout = OptimizerLayout(parameters)
            m = parameters.tensors.map { .zeros($0.shape) }
            v = m
        } else {
            layout.check(parameters, gradient, optimizer: name)
        }
        stepCount += 1
        let t = Double(stepCount)
        let stepSize = Scalar(Double(learningRate) / (1 - pow(Double(beta1), t)))
        let correction2 = Scalar((1 - pow(Double(beta2), t)).squareRoot())
        let (a1, b2, a2, eps) = (1 - beta1, beta2, 1 - beta2, epsilon)
        let decayFactor = 1 - learningRate * decoupledWeightDecay
        for i in 0..<parameters.count {
            // Multiplying by exactly 1 leaves unregularised tensors unchanged.
            let shrink: Scalar = parameters.regularized[i] ? decayFactor : 1
            gradient.tensors[i].scalars.withUnsafeBufferPointer { g in
                parameters.tensors[i].scalars.withUnsafeMutableBufferPointer { p in
                    m[i].scalars.withUnsafeMutableBufferPointer { m in
                        v[i].scalars.withUnsafeMutableBufferPointer { v in
                            optimizerChunks(p.count) { [p, g, m, v] range in
                                // v ≥ 0, so |v| changes nothing; it tells LLVM that √ cannot
                                // set errno, which lets the loop vectorise (see RMSProp).
                                for j in range {
                                    let gj = g[j]
                                    let mj = m[j] + a1 * (gj - m[j])
                                    let vj = b2 * v[j] + a2 * gj * gj
                                    m[j] = mj
                                    v[j] = vj
                                    p[j] = p[j] * shrink - stepSize * mj / (vj.magnitude.squareRoot() / correction2 + eps)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `PARAM/m`, `PARAM/v` for every parameter (after the first update) and `step`.
    public var state: Parameters<Scalar> {
        OptimizerStateCoding.encode(layout: layout, slots: [("m", m), ("v", v)],
                                    scalars: [("step", Double(stepCount))])
    }

    /// Restores a state saved by ``state``.
    public mutating func restore(_ state: Parameters<Scalar>) throws(OptimizerStateError) {
        let decoded = try OptimizerStateCoding.decode(state, optimizer: name, slots: ["m", "v"],
                                                      scalars: ["step"], expected: layout)
        let step = try OptimizerStateCoding.count(decoded.scalars[0], name: "step", optimizer: name)
        if decoded.layout.isEmpty && step != 0 {
            throw OptimizerStateError("\(name) state: 'step' is \(step) but there are no moments")
        }
        stepCount = step
        layout = decoded.layout
        m = decoded.slots[0]
        v = decoded.slots[1]
    }
}

/// AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay, as in PyTorch's
/// `torch.optim.AdamW`.
///
/// Why: with Adam, an L2 term λp added to the gradient is divided by √v like the rest of the
/// gradient, so weights with large gradients are barely regularised. AdamW instead shrinks the
/// weights directly, by the same relative amount for every element:
///
///     p ← p·(1 − η·λ)                   (only tensors marked `regularized`)
///     then the Adam step of ``Adam`` on the shrunk p.
///
/// Memory and state are Adam's: `PARAM/m`, `PARAM/v`, `step`.
public struct AdamW<Scalar: TensorScalar>: Optimizer, LearningRateAdjustable, Sendable {
    private var adam: Adam<Scalar>

    /// η. Settable, so a training loop can apply a ``LearningRateSchedule`` between steps;
    /// the decay per step, η·λ, follows it.
    public var learningRate: Scalar {
        get { adam.learningRate }
        set { adam.learningRate = newValue }
    }
    /// λ, the decoupled weight decay.
    public var weightDecay: Scalar {
        get { adam.decoupledWeightDecay }
        set { adam.decoupledWeightDecay = newValue }
    }
    /// β₁; see ``Adam``.
    public var beta1: Scalar { get { adam.beta1 } set { adam.beta1 = newValue } }
    /// β₂; see ``Adam``.
    public var beta2: Scalar { get { adam.beta2 } set { adam.beta2 = newValue } }
    /// ε; see ``Adam``.
    public var epsilon: Scalar { get { adam.epsilon } set { adam.epsilon = newValue } }
    /// The number of updates taken.
    public var stepCount: Int { adam.stepCount }

    /// Creates the optimizer with PyTorch's defaults (λ = 0.01).
    public init(learningRate: Scalar = 1e-3, beta1: Scalar = 0.9, beta2: Scalar = 0.999, epsilon: Scalar = 1e-8,
                weightDecay: Scalar = 0.01) {
        precondition(weightDecay >= 0, "AdamW: weight decay must be non-negative, got \(weightDecay)")
        adam = Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon)
        adam.decoupledWeightDecay = weightDecay
        adam.name = "AdamW"
    }

    /// Decays the regularised weights, then takes an Adam step.
    public mutating func update(_ parameters: inout Parameters<Scalar>, along gradient: Parameters<Scalar>) {
        adam.update(&parameters, along: gradient)
    }

    /// `PARAM/m`, `PARAM/v` and `step`, as for ``Adam``.
    public var state: Parameters<Scalar> { adam.state }

    /// Restores a state saved by ``state``.
    public mutating func restore(_ state: Parameters<Scalar>) throws(OptimizerStateError) {
        try adam.restore(state)
    }
}
