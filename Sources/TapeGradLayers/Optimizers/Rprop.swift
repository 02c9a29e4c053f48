import TapeGrad

/// Resilient backpropagation (Riedmiller & Braun 1993), the optimiser of the AutoRec paper,
/// in the iRprop− variant (Igel & Hüsken 2000) that PyTorch's `torch.optim.Rprop` implements.
///
/// Why Rprop: with a full-batch gradient it adapts one step size per weight from the signs of
/// successive gradients only, so it needs no learning-rate tuning and is insensitive to the
/// gradient's scale (which for AutoRec grows with the number of ratings); the paper found it
/// as good as L-BFGS and much faster. It is not meant for mini-batches: noisy gradient signs
/// shrink the steps.
///
/// Why iRprop−: of the four variants compared by Igel & Hüsken, the "−" variants need no weight
/// backtracking (Rprop+ undoes the last step of a weight whose gradient changed sign, which
/// needs the previous step as extra state and behaves badly when the objective changes between
/// evaluations), and iRprop− is the one PyTorch implements, so the AutoRec reference numbers in
/// the project notes (PyTorch, full-batch Rprop) are reproduced with the same defaults.
///
/// Per element, with gradient g, previous (possibly zeroed) gradient sign s′ and step size Δ
/// (Δ starts at Δ₀ = `learningRate`, s′ at 0):
///
///     Δ ← clamp(Δ·η⁺, Δmin, Δmax)      if sign(g)·s′ > 0   (same direction: accelerate)
///     Δ ← clamp(Δ·η⁻, Δmin, Δmax)      if sign(g)·s′ < 0   (overshot a minimum: slow down,
///                                                           and set g ← 0 for this step)
///     Δ ← clamp(Δ, Δmin, Δmax)         otherwise
///     p ← p − sign(g)·Δ
///     s′ ← sign(g)                      (0 where g was zeroed, so the next step does not
///                                        shrink Δ again: that is the "i" of iRprop)
///
/// Defaults η⁺ = 1.2, η⁻ = 0.5, Δ₀ = 0.01, Δmin = 10⁻⁶, Δmax = 50, as in PyTorch.
///
/// PyTorch keeps the previous gradient itself and takes the sign of the product g·g′; this
/// keeps only the sign, one byte (`Int8`) per element, and multiplies signs. The two agree
/// except where g·g′ underflows to 0 in PyTorch (both gradients below about 10⁻¹⁹ in Float),
/// which PyTorch then treats as "no sign information".
///
/// Memory: one tensor of parameter size (Δ) plus one byte per element (s′): 5 bytes per Float
/// parameter (PyTorch: 8). State: `PARAM/stepSize`, `PARAM/previousSign` (−1, 0 or 1, stored as
/// `Scalar`; both after the first update) and `step` (rank 0).
///
/// The step sizes are absolute, not multiples of a rate, so a ``LearningRateSchedule`` has no
/// effect after the first update (as in PyTorch); Rprop is therefore not
/// ``LearningRateAdjustable``.
public struct Rprop<Scalar: TensorScalar>: Optimizer, Sendable {
    /// Δ₀, the step size of every element before the first update. Changing it later has no
    /// effect on elements that already have a step size.
    public var learningRate: Scalar
    /// η⁺ > 1, the factor by which a step grows while the gradient keeps its sign.
    public var increaseFactor: Scalar
    /// η⁻ in (0, 1), the factor by which a step shrinks when the gradient changes sign.
    public var decreaseFactor: Scalar
    /// Δmin, the smallest step size.
    public var minimumStepSize: Scalar
    /// Δmax, the largest step size.
    public var maximumStepSize: Scalar
    /// The number of updates taken.
    public private(set) var stepCount = 0

    private var layout = OptimizerLayout()
    private var stepSizes: [Tensor<Scalar>] = []
    private var previousSigns: [[Int8]] = []

    /// Creates the optimizer with PyTorch's defaults.
    public init(learningRate: Scalar = 0.01, increaseFactor: Scalar = 1.2, decreaseFactor: Scalar = 0.5,
                minimumStepSize: Scalar = 1e-6, maximumStepSize: Scalar = 50) {
        precondition(increaseFactor > 1, "Rprop: increase factor must be > 1, got \(increaseFactor)")
        precondition(decreaseFactor > 0 && decreaseFactor < 1, "Rprop: decrease factor must be in (0, 1), got \(decreaseFactor)")
        precondition(minimumStepSize > 0 && minimumStepSize <= maximumStepSize,
                     "Rprop: need 0 < minimum step size ≤ maximum, got \(minimumStepSize), \(maximumStepSize)")
        precondition(learningRate > 0, "Rprop: initial step size must be positive, got \(learningRate)")
        self.learningRate = learningRate
        self.increaseFactor = increaseFactor
        self.decreaseFactor = decreaseFactor
        self.minimumStepSize = minimumStepSize
        self.maximumStepSize = maximumStepSize
    }

    /// Takes one iRprop− step (see the type's documentation for the formulas).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func update(_ parameters: inout Parameters<Scalar>, along gradient: Parameters<Scalar>) {
        if stepSizes.isEmpty {
            OptimizerLayout.checkGradient(parameters, gradient, optimizer: "Rprop")
            layout = OptimizerLayout(parameters)
            stepSizes = parameters.tensors.map { Tensor(repeating: learningRate, shape: $0.shape) }
            previousSigns = parameters.tensors.map { [Int8](repeating: 0, count: $0.count) }
        } else {
            layout.check(parameters, gradient, optimizer: "Rprop")
        }
        let (up, down, lower, upper) = (increaseFactor, decreaseFactor, minimumStepSize, maximumStepSize)
        for i in 0..<parameters.count {
            gradient.tensors[i].scalars.withUnsafeBufferPointer { g in
                parameters.tensors[i].scalars.withUnsafeMutableBufferPointer { p in
                    stepSizes[i].scalars.withUnsafeMutableBufferPointer { delta in
                        previousSigns[i].withUnsafeMutableBufferPointer { previous in
                            optimizerChunks(p.count) { [p, g, delta, previous] range in
                                for j in range {
                                    let gj = g[j]
                                    let sign: Int8 = gj > 0 ? 1 : (gj < 0 ? -1 : 0)
                                    let product = sign &* previous[j]
                                    let factor: Scalar = product > 0 ? up : (product < 0 ? down : 1)
                                    let d = min(max(delta[j] * factor, lower), upper)
                                    delta[j] = d
                                    let effective: Int8 = product < 0 ? 0 : sign
                                    previous[j] = effective
                                    p[j] -= Scalar(effective) * d
                                }
                            }
                        }
                    }
                }
            }
        }
        stepCount += 1
    }

    /// `PARAM/stepSize`, `PARAM/previousSign` for every parameter (after the first update) and
    /// `step`.
    public var state: Parameters<Scalar> {
        let signs = zip(layout.shapes, previousSigns).map { shape, signs in
            Tensor<Scalar>(shape: shape, scalars: signs.map { Scalar($0) })
        }
        return OptimizerStateCoding.encode(layout: layout, slots: [("stepSize", stepSizes), ("previousSign", signs)],
                                           scalars: [("step", Double(stepCount))])
    }

    /// Restores a state saved by ``state``; step sizes must be positive and finite and signs
    /// −1, 0 or 1.
    public mutating func restore(_ state: Parameters<Scalar>) throws(OptimizerStateError) {
        let decoded = try OptimizerStateCoding.decode(state, optimizer: "Rprop", slots: ["stepSize", "previousSign"],
                                                      scalars: ["step"], expected: layout)
        let step = try OptimizerStateCoding.count(decoded.scalars[0], name: "step", optimizer: "Rprop")
        if decoded.layout.isEmpty && step != 0 {
            throw OptimizerStateError("Rprop state: 'step' is \(step) but there are no step sizes")
        }
        var signs: [[Int8]] = []
        for (i, name) in decoded.layout.names.enumerated() {
            if let bad = decoded.slots[0][i].scalars.first(where: { !($0 > 0 && $0.isFinite) }) {
                throw OptimizerStateError("Rprop state: '\(name)/stepSize' holds \(bad); step sizes must be positive and finite")
            }
            var converted = [Int8](repeating: 0, count: decoded.slots[1][i].count)
            for (j, value) in decoded.slots[1][i].scalars.enumerated() {
                guard value == -1 || value == 0 || value == 1 else {
                    throw OptimizerStateError("Rprop state: '\(name)/previousSign' holds \(value); signs must be -1, 0 or 1")
                }
                converted[j] = Int8(value)
            }
            signs.append(converted)
        }
        stepCount = step
        layout = decoded.layout
        stepSizes = decoded.slots[0]
        previousSigns = signs
    }
}
