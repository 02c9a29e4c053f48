import TapeGrad

/// Limited-memory BFGS (Liu & Nocedal 1989) for full-batch objectives, with a strong-Wolfe
/// line search: the bracketing phase of Nocedal & Wright's Algorithm 3.5 and the `zoom` of
/// Algorithm 3.6, both choosing trial steps by cubic interpolation (N&W eq. 3.59).
///
/// Why: on a deterministic objective, a quasi-Newton direction built from the last m steps
/// converges far faster than first-order methods (superlinearly near a minimum), at the cost
/// of a few objective evaluations per step. The AutoRec paper compares Rprop with it. It is
/// not meant for mini-batches: its curvature pairs and line search assume one fixed function.
///
/// One call of ``step(_:objective:)`` is one iteration k:
///
///     d = −H·g                       two-loop recursion over the pairs (sᵢ, yᵢ), oldest first,
///                                    with H₀ = γ·I, γ = sᵀy / yᵀy of the newest pair
///     α = strong-Wolfe step along d  first trial α₀ = η·min(1, 1/‖g‖₁) without history, else η
///                                    (η = `learningRate`, 1 by default)
///     s = α·d,  y = g(x + s) − g(x),  x ← x + s
///     keep (s, y) if sᵀy > ε_Scalar·yᵀy (curvature positive, so H stays positive definite);
///     drop the oldest pair beyond m = `historySize`
///
/// The accepted α satisfies the strong Wolfe conditions with c₁ = 10⁻⁴, c₂ = 0.9:
///
///     f(x + αd) ≤ f(x) + c₁·α·gᵀd        (sufficient decrease)
///     |g(x + αd)ᵀd| ≤ c₂·|gᵀd|           (curvature)
///
/// Bracketing: if a trial fails sufficient decrease, or does not improve on the previous trial,
/// or has a non-negative slope, the minimum is bracketed and `zoom` takes over; otherwise the
/// next trial extrapolates by cubic interpolation, bounded to [α + 0.01(α − α_prev), 10α]
/// (the bounds of minFunc and PyTorch). Zoom: the cubic interpolant's minimiser of the
/// bracket's two ends, kept at least 10 % of the bracket's width from either end (bisection when
/// the cubic has no minimum), replaces one end following Algorithm 3.6. After
/// `maximumEvaluations` evaluations, or once the bracket is narrower than `changeTolerance`
/// (measured as width·max|d|), the best point so far that satisfies sufficient decrease is
/// taken. If that is α = 0 (no decrease found), the parameters are left unchanged and the
/// history is cleared, so the next step starts again from steepest descent. A direction that
/// is not a descent direction (gᵀd ≥ 0) also clears the history.
///
/// Evaluation reuse: the line search ends with the loss and gradient at the new parameters;
/// the next ``step(_:objective:)`` reuses them, instead of evaluating again, when it is called
/// with the same parameters (checked with `==`, which for unmodified copy-on-write tensors is a
/// pointer comparison). This halves the evaluations of a typical step but assumes the same
/// objective at every call: if you change it between steps (other data, another penalty), call
/// ``reset()``, or set ``reusesEvaluation`` to false to evaluate at the start of every step.
///
/// ``update(_:along:)`` (for loops that compute the gradient themselves) takes a plain
/// gradient step p ← p − η·g and leaves the history unchanged: a curvature pair needs the
/// gradient at both ends of a step, which `update` does not see. Use ``step(_:objective:)``.
///
/// Memory, in tensors of parameter size: 2m for the history (s, y), plus during a step the
/// gradient, the direction, the trial point, its gradient and the best bracket end's gradient
/// (≤ 5); with m = 10, up to 25 copies of the parameters (for 240M Float parameters,
/// about 24 GB: lower `historySize` for such models). State: `PARAM/s.i` and `PARAM/y.i` for
/// i = 0 (oldest) … `history` − 1, and the rank-0 scalars `history` and `step`.
public struct LBFGS<Scalar: TensorScalar>: Optimizer, LearningRateAdjustable, Sendable {
    /// η, the scale of the line search's first trial step (1 is the natural quasi-Newton step).
    /// Settable, so a training loop can apply a ``LearningRateSchedule``; it is also the step
    /// of ``update(_:along:)``.
    public var learningRate: Scalar
    /// m, the number of curvature pairs kept.
    public let historySize: Int
    /// c₁ of the sufficient-decrease (Armijo) condition.
    public var sufficientDecrease: Double
    /// c₂ of the strong curvature condition (c₁ < c₂ < 1).
    public var curvature: Double
    /// The most objective evaluations one line search may use.
    public var maximumEvaluations: Int
    /// A step does nothing when max|g| is at most this (the gradient vanishes: converged).
    public var gradientTolerance: Double
    /// The line search stops when its bracket moves the parameters by less than this.
    public var changeTolerance: Double
    /// Whether a step may reuse the previous step's final loss and gradient when it starts from
    /// the parameters that step left (see the type's documentation). True by default.
    public var reusesEvaluation = true
    /// The number of steps taken.
    public private(set) var stepCount = 0
    /// The number of objective evaluations made by ``step(_:objective:)`` (not saved in
    /// ``state``).
    public private(set) var evaluationCount = 0

    /// One curvature pair, with the scalars the two-loop recursion needs.
    private struct Pair: Sendable {
        var s: [Tensor<Scalar>]
        var y: [Tensor<Scalar>]
        /// 1 / sᵀy.
        var rho: Double
        /// sᵀy / yᵀy, the scale of H₀ when this is the newest pair.
        var gamma: Double

        init?(s: [Tensor<Scalar>], y: [Tensor<Scalar>]) {
            let ys = LBFGSVector.dot(y, s), yy = LBFGSVector.dot(y, y)
            guard yy > 0, ys > Double(Scalar.ulpOfOne) * yy, ys.isFinite, yy.isFinite else { return nil }
            self.s = s
            self.y = y
            rho = 1 / ys
            gamma = ys / yy
        }
    }

    /// The loss and gradient at some parameters.
    private struct Evaluation: Sendable {
        var parameters: Parameters<Scalar>
        var loss: Scalar
        var gradient: Parameters<Scalar>
    }

    /// One point of the line search: φ(α) = f(x + αd) and φ′(α) = g(x + αd)ᵀd.
    private struct Trial {
        var alpha: Double
        var f: Double
        var slope: Double
        var loss: Scalar
        /// Kept only for points that may be accepted.
        var gradient: Parameters<Scalar>?
    }

    private var layout = OptimizerLayout()
    private var history: [Pair] = []
    private var cache: Evaluation?

    /// Creates the optimizer. Defaults: m = 10, η = 1, c₁ = 10⁻⁴, c₂ = 0.9, 25 evaluations per
    /// line search, gradient tolerance 10⁻⁷ and change tolerance 10⁻⁹ (PyTorch's).
    public init(historySize: Int = 10, learningRate: Scalar = 1, sufficientDecrease: Double = 1e-4,
                curvature: Double = 0.9, maximumEvaluations: Int = 25, gradientTolerance: Double = 1e-7,
                changeTolerance: Double = 1e-9) {
        precondition(historySize >= 1, "LBFGS: history size must be at least 1, got \(historySize)")
        precondition(0 < sufficientDecrease && sufficientDecrease < curvature && curvature < 1,
                     "LBFGS: need 0 < c1 < c2 < 1, got \(sufficientDecrease), \(curvature)")
        precondition(maximumEvaluations >= 1, "LBFGS: need at least one evaluation per line search")
        precondition(learningRate > 0, "LBFGS: learning rate must be positive, got \(learningRate)")
        self.historySize = historySize
        self.learningRate = learningRate
        self.sufficientDecrease = sufficientDecrease
        self.curvature = curvature
        self.maximumEvaluations = maximumEvaluations
        self.gradientTolerance = gradientTolerance
        self.changeTolerance = changeTolerance
    }

    /// Forgets the curvature history and the cached evaluation, e.g. after changing the
    /// objective; the next step is a steepest-descent step with a line search.
    public mutating func reset() {
        history.removeAll()
        cache = nil
    }

    /// A plain gradient step p ← p − η·g; the history is unchanged (see the type's
    /// documentation). L-BFGS proper is ``step(_:objective:)``.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func update(_ parameters: inout Parameters<Scalar>, along gradient: Parameters<Scalar>) {
        if history.isEmpty {
            OptimizerLayout.checkGradient(parameters, gradient, optimizer: "LBFGS")
        } else {
            layout.check(parameters, gradient, optimizer: "LBFGS")
        }
        cache = nil
        LBFGSVector.addScaled(-Double(learningRate), gradient.tensors, to: &parameters.tensors)
        stepCount += 1
    }

    /// One L-BFGS iteration with a strong-Wolfe line search (see the type's documentation);
    /// returns the loss at the parameters it started from.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func step(_ parameters: inout Parameters<Scalar>, objective: Objective<Scalar>) -> Scalar {
        // The loss and gradient at the start, reused from the previous step when possible.
        let start: Evaluation
        if reusesEvaluation, let cached = cache, cached.parameters == parameters {
            start = cached
        } else {
            let (loss, gradient) = objective(parameters)
            evaluationCount += 1
            start = Evaluation(parameters: parameters, loss: loss, gradient: gradient)
        }
        cache = nil
        if history.isEmpty {
            OptimizerLayout.checkGradient(parameters, start.gradient, optimizer: "LBFGS")
            layout = OptimizerLayout(parameters)
        } else {
            layout.check(parameters, start.gradient, optimizer: "LBFGS")
        }
        stepCount += 1
        let g = start.gradient.tensors
        let f0 = Double(start.loss)
        guard f0.isFinite, LBFGSVector.maxAbsolute(g) > gradientTolerance else {
            cache = start
            return start.loss
        }

        // The search direction d = −H·g, or −g when that is not a descent direction.
        var d = direction(g)
        var slope0 = LBFGSVector.dot(g, d)
        if !(slope0 < 0) || !slope0.isFinite {
            history.removeAll()
            d = LBFGSVector.negated(g)
            slope0 = LBFGSVector.dot(g, d)
        }
        let directionMax = LBFGSVector.maxAbsolute(d)
        let firstTrial = history.isEmpty
            ? Double(learningRate) * min(1, 1 / LBFGSVector.sumAbsolute(g))
            : Double(learningRate)

        // The line search. `trial` is reused for every evaluation (copy-on-write makes the first
        // write allocate, later ones write in place when the objective keeps no reference).
        let x = parameters.tensors
        var trial = parameters
        var evaluations = 0
        var lastEvaluated = -1.0
        let (c1, c2) = (sufficientDecrease, curvature)
        func phi(_ alpha: Double) -> Trial {
            LBFGSVector.combine(x, Scalar(alpha), d, into: &trial.tensors)
            let (loss, gradient) = objective(trial)
            evaluations += 1
            lastEvaluated = alpha
            return Trial(alpha: alpha, f: Double(loss), slope: LBFGSVector.dot(gradient.tensors, d),
                         loss: loss, gradient: gradient)
        }
        func decreasesEnough(_ t: Trial) -> Bool { t.f <= f0 + c1 * t.alpha * slope0 }
        func curvatureHolds(_ t: Trial) -> Bool { abs(t.slope) <= -c2 * slope0 }

        var accepted: Trial?
        var bracket: (lo: Trial, hi: Trial)?
        var previous = Trial(alpha: 0, f: f0, slope: slope0, loss: start.loss, gradient: start.gradient)
        var alpha = firstTrial
        // Algorithm 3.5: increase α until it satisfies the conditions or brackets a minimum.
        while accepted == nil && bracket == nil {
            let current = phi(alpha)
            if !decreasesEnough(current) || (evaluations > 1 && current.f >= previous.f) {
                bracket = (previous, current)
            } else if curvatureHolds(current) {
                accepted = current
            } else if current.slope >= 0 {
                bracket = (current, previous)
            } else if evaluations >= maximumEvaluations {
                accepted = current  // decreases enough; the budget is spent
            } else {
                let next = Self.cubicMinimizer(previous, current, lower: alpha + 0.01 * (alpha - previous.alpha),
                                               upper: 10 * alpha)
                previous = current
                alpha = next
            }
        }
        // Algorithm 3.6 (zoom): lo satisfies sufficient decrease and has the lowest f so far;
        // the minimum lies between lo and hi.
        if accepted == nil, var (lo, hi) = bracket {
            hi.gradient = nil
            while evaluations < maximumEvaluations && abs(hi.alpha - lo.alpha) * directionMax >= changeTolerance {
                let a = min(lo.alpha, hi.alpha), b = max(lo.alpha, hi.alpha)
                let margin = 0.1 * (b - a)
                let current = phi(Self.cubicMinimizer(lo, hi, lower: a + margin, upper: b - margin))
                if !decreasesEnough(current) || current.f >= lo.f {
                    hi = current
                    hi.gradient = nil
                } else {
                    if curvatureHolds(current) { accepted = current; break }
                    if current.slope * (hi.alpha - lo.alpha) >= 0 {
                        hi = lo
                        hi.gradient = nil
                    }
                    lo = current
                }
            }
            if accepted == nil { accepted = lo }
        }
        guard let result = accepted, result.alpha > 0, let newGradient = result.gradient else {
            // No point with sufficient decrease: stay, and restart from steepest descent.
            evaluationCount += evaluations
            history.removeAll()
            cache = start
            return start.loss
        }
        evaluationCount += evaluations

        // Move to x + αd (the point evaluated last, or recomputed bit-identically).
        if lastEvaluated != result.alpha {
            LBFGSVector.combine(x, Scalar(result.alpha), d, into: &trial.tensors)
        }
        parameters = trial

        // The curvature pair s = αd, y = g(x + s) − g(x), computed in the buffers of d and g.
        var s = d
        d = []
        LBFGSVector.scale(&s, by: Scalar(result.alpha))
        var y = g
        LBFGSVector.subtract(from: newGradient.tensors, &y)
        if let pair = Pair(s: s, y: y) {
            if history.count == historySize { history.removeFirst() }
            history.append(pair)
        }
        cache = Evaluation(parameters: parameters, loss: result.loss, gradient: newGradient)
        return start.loss
    }

    /// −H·g by the two-loop recursion (Nocedal & Wright, Algorithm 7.4).
    private func direction(_ g: [Tensor<Scalar>]) -> [Tensor<Scalar>] {
        var q = LBFGSVector.negated(g)
        guard let newest = history.last else { return q }
        var alphas = [Double](repeating: 0, count: history.count)
        for k in stride(from: history.count - 1, through: 0, by: -1) {
            let a = history[k].rho * LBFGSVector.dot(history[k].s, q)
            alphas[k] = a
            LBFGSVector.addScaled(-a, history[k].y, to: &q)
        }
        LBFGSVector.scale(&q, by: Scalar(newest.gamma))
        for k in 0..<history.count {
            let b = history[k].rho * LBFGSVector.dot(history[k].y, q)
            LBFGSVector.addScaled(alphas[k] - b, history[k].s, to: &q)
        }
        return q
    }

    /// The minimiser of the cubic matching φ and φ′ at two points (Nocedal & Wright eq. 3.59),
    /// clamped to [lower, upper]; the midpoint of the bounds when the cubic has no minimiser or
    /// a value is not finite.
    private static func cubicMinimizer(_ p: Trial, _ q: Trial, lower: Double, upper: Double) -> Double {
        let d1 = p.slope + q.slope - 3 * (p.f - q.f) / (p.alpha - q.alpha)
        let discriminant = d1 * d1 - p.slope * q.slope
        if discriminant >= 0 {
            let d2 = discriminant.squareRoot()
            let m = p.alpha <= q.alpha
                ? q.alpha - (q.alpha - p.alpha) * ((q.slope + d2 - d1) / (q.slope - p.slope + 2 * d2))
                : p.alpha - (p.alpha - q.alpha) * ((p.slope + d2 - d1) / (p.slope - q.slope + 2 * d2))
            if m.isFinite { return min(max(m, lower), upper) }
        }
        return (lower + upper) / 2
    }

    /// `PARAM/s.i`, `PARAM/y.i` for i = 0 (oldest) ..< `history`, then `history` and `step`.
    public var state: Parameters<Scalar> {
        var slots: [(name: String, tensors: [Tensor<Scalar>])] = []
        for (i, pair) in history.enumerated() {
            slots.append(("s.\(i)", pair.s))
            slots.append(("y.\(i)", pair.y))
        }
        return OptimizerStateCoding.encode(layout: history.isEmpty ? OptimizerLayout() : layout, slots: slots,
                                           scalars: [("history", Double(history.count)), ("step", Double(stepCount))])
    }

    /// Restores a state saved by ``state``: at most `historySize` pairs, each with positive
    /// curvature sᵀy. The cached evaluation is dropped; the next step evaluates the objective
    /// once more, which for a deterministic objective continues exactly as without interruption.
    public mutating func restore(_ state: Parameters<Scalar>) throws(OptimizerStateError) {
        guard let countTensor = state["history"], countTensor.rank == 0 else {
            throw OptimizerStateError("LBFGS state: missing scalar 'history' (shape [])")
        }
        let count = try OptimizerStateCoding.count(Double(countTensor.scalar), name: "history", optimizer: "LBFGS")
        guard count <= historySize else {
            throw OptimizerStateError("LBFGS state: \(count) curvature pairs, but the history size is \(historySize)")
        }
        let slotNames = (0..<count).flatMap { ["s.\($0)", "y.\($0)"] }
        let decoded = try OptimizerStateCoding.decode(state, optimizer: "LBFGS", slots: slotNames,
                                                      scalars: ["history", "step"], expected: layout)
        let step = try OptimizerStateCoding.count(decoded.scalars[1], name: "step", optimizer: "LBFGS")
        if count > 0 && decoded.layout.isEmpty {
            throw OptimizerStateError("LBFGS state: 'history' is \(count) but there are no 's.i'/'y.i' tensors")
        }
        var pairs: [Pair] = []
        for i in 0..<count {
            guard let pair = Pair(s: decoded.slots[2 * i], y: decoded.slots[2 * i + 1]) else {
                throw OptimizerStateError("LBFGS state: pair \(i) has non-positive curvature sᵀy")
            }
            pairs.append(pair)
        }
        history = pairs
        if count > 0 { layout = decoded.layout }
        stepCount = step
        cache = nil
    }
}

/// The vector operations of L-BFGS on a list of tensors viewed as one long vector. Dot
/// products and norms accumulate in Double, in a fixed order, so results do not depend on the
/// thread count; the elementwise updates split large tensors over threads.
enum LBFGSVector {
    /// aᵀb.
    static func dot<S: TensorScalar>(_ a: [Tensor<S>], _ b: [Tensor<S>]) -> Double {
        var total = 0.0
        for (ta, tb) in zip(a, b) {
            ta.scalars.withUnsafeBufferPointer { pa in
                tb.scalars.withUnsafeBufferPointer { pb in
                    var partial = SIMD8<Double>()
                    var i = 0
                    while i + 8 <= pa.count {
                        var lane = SIMD8<Double>()
                        for k in 0..<8 { lane[k] = Double(pa[i + k]) * Double(pb[i + k]) }
                        partial += lane
                        i += 8
                    }
                    var rest = 0.0
                    while i < pa.count { rest += Double(pa[i]) * Double(pb[i]); i += 1 }
                    total += partial.sum() + rest
                }
            }
        }
        return total
    }

    /// max |aᵢ| (0 for an empty vector; NaN if any element is NaN).
    static func maxAbsolute<S: TensorScalar>(_ a: [Tensor<S>]) -> Double {
        var result: S = 0
        for t in a {
            for x in t.scalars {
                if x.isNaN { return .nan }
                result = max(result, abs(x))
            }
        }
        return Double(result)
    }

    /// Σ |aᵢ|.
    static func sumAbsolute<S: TensorScalar>(_ a: [Tensor<S>]) -> Double {
        var total = 0.0
        for t in a { for x in t.scalars { total += Double(abs(x)) } }
        return total
    }

    /// −a.
    static func negated<S: TensorScalar>(_ a: [Tensor<S>]) -> [Tensor<S>] {
        a.map { t in
            var copy = t
            copy.scalars.withUnsafeMutableBufferPointer { p in
                for i in 0..<p.count { p[i] = -p[i] }
            }
            return copy
        }
    }

    /// y ← y + c·x.
    static func addScaled<S: TensorScalar>(_ c: Double, _ x: [Tensor<S>], to y: inout [Tensor<S>]) {
        let factor = S(c)
        for i in 0..<y.count {
            x[i].scalars.withUnsafeBufferPointer { px in
                y[i].scalars.withUnsafeMutableBufferPointer { py in
                    optimizerChunks(py.count) { [px, py] range in
                        for j in range { py[j] += factor * px[j] }
                    }
                }
            }
        }
    }

    /// y ← c·y.
    static func scale<S: TensorScalar>(_ y: inout [Tensor<S>], by c: S) {
        for i in 0..<y.count {
            y[i].scalars.withUnsafeMutableBufferPointer { py in
                optimizerChunks(py.count) { [py] range in
                    for j in range { py[j] *= c }
                }
            }
        }
    }

    /// out ← x + α·d.
    static func combine<S: TensorScalar>(_ x: [Tensor<S>], _ alpha: S, _ d: [Tensor<S>], into out: inout [Tensor<S>]) {
        for i in 0..<out.count {
            x[i].scalars.withUnsafeBufferPointer { px in
                d[i].scalars.withUnsafeBufferPointer { pd in
                    out[i].scalars.withUnsafeMutableBufferPointer { po in
                        optimizerChunks(po.count) { [px, pd, po] range in
                            for j in range { po[j] = px[j] + alpha * pd[j] }
                        }
                    }
                }
            }
        }
    }

    /// y ← a − y.
    static func subtract<S: TensorScalar>(from a: [Tensor<S>], _ y: inout [Tensor<S>]) {
        for i in 0..<y.count {
            a[i].scalars.withUnsafeBufferPointer { pa in
                y[i].scalars.withUnsafeMutableBufferPointer { py in
                    optimizerChunks(py.count) { [pa, py] range in
                        for j in range { py[j] = pa[j] - py[j] }
                    }
                }
            }
        }
    }
}
