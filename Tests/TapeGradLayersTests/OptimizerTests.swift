import Testing
import TapeGrad
@testable import TapeGradLayers

// Optimizer and learning-rate-schedule tests. Reference values come from the numpy script at
// the end of this file (PyTorch's documented algorithms written independently, in float64) or
// from hand calculation; all checks run in Double.

// MARK: - Fixtures

/// w (regularised) and b (not), the starting point of the reference runs.
private func referenceParameters() -> Parameters<Double> {
    Parameters([("w", Tensor([[0.5, -1.0], [2.0, 0.25]])), ("b", Tensor([0.1, -0.3]))], regularized: [true, false])
}

/// The fixed gradients of the reference runs, step by step.
private let referenceGradients: [Parameters<Double>] = [
    ([[0.2, -0.4], [1.0, 0.0]], [0.5, -0.1]),
    ([[-0.1, -0.3], [0.5, 0.2]], [0.4, 0.0]),
    ([[-0.2, -0.1], [0.3, -0.2]], [-0.1, 0.3]),
].map { w, b in referenceParameters().withTensors([Tensor(w), Tensor(b)]) }

/// Runs `steps` updates with the reference gradients.
private func run<O: Optimizer>(_ optimizer: inout O, steps: Int) -> Parameters<Double> where O.Scalar == Double {
    var p = referenceParameters()
    for g in referenceGradients.prefix(steps) { optimizer.update(&p, along: g) }
    return p
}

/// True when every tensor matches the expected flat values to about 1e-13.
private func matches(_ p: Parameters<Double>, _ expected: [[Double]]) -> Bool {
    p.tensors.count == expected.count && zip(p.tensors, expected).allSatisfy { t, e in
        Tensor(shape: t.shape, scalars: e).isApproximatelyEqual(to: t, absoluteTolerance: 1e-15, relativeTolerance: 1e-13)
    }
}

/// ½‖A·[w; c] − y‖² for a consistent 6×3 system with solution w = (1, −2), c = 0.5, split over
/// two tensors so that every optimizer handles more than one.
private let designMatrix: [[Double]] = [[1, 2, 0], [0, 1, 1], [1, 0, 1], [2, 1, 0], [0, 0, 1], [1, 1, 1]]
private let leastSquaresSolution: [Double] = [1, -2, 0.5]

private func leastSquaresStart() -> Parameters<Double> {
    Parameters([("w", Tensor([0.0, 0.0])), ("c", Tensor([0.0]))], regularized: [true, false])
}

private func leastSquares(_ p: Parameters<Double>) -> (loss: Double, gradient: Parameters<Double>) {
    let x = p.tensors[0].scalars + p.tensors[1].scalars
    var loss = 0.0
    var g = [0.0, 0.0, 0.0]
    for row in designMatrix {
        var r = 0.0
        for j in 0..<3 { r += row[j] * (x[j] - leastSquaresSolution[j]) }
        loss += 0.5 * r * r
        for j in 0..<3 { g[j] += row[j] * r }
    }
    return (loss, p.withTensors([Tensor([g[0], g[1]]), Tensor([g[2]])]))
}

private func distanceToSolution(_ p: Parameters<Double>) -> Double {
    let x = p.tensors[0].scalars + p.tensors[1].scalars
    return zip(x, leastSquaresSolution).map { abs($0 - $1) }.max()!
}

/// The 2-D Rosenbrock function (1 − x)² + 100(y − x²)², minimum 0 at (1, 1).
private func rosenbrock(_ p: Parameters<Double>) -> (loss: Double, gradient: Parameters<Double>) {
    let x = p.tensors[0].scalars[0], y = p.tensors[0].scalars[1]
    let loss = (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x)
    let gx = -2 * (1 - x) - 400 * x * (y - x * x)
    let gy = 200 * (y - x * x)
    return (loss, p.withTensors([Tensor([gx, gy])]))
}

private func rosenbrockStart() -> Parameters<Double> { Parameters([("xy", Tensor([-1.2, 1.0]))]) }

/// The message of the error `body` throws, or nil.
private func stateError(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as OptimizerStateError {
        return error.description
    } catch {
        return "not an OptimizerStateError: \(error)"
    }
}

/// Runs `total` steps without interruption, and `split` steps, then a save and restore into a
/// fresh optimizer and the remaining steps; the parameters must be bit-identical.
private func roundTrip<O: Optimizer>(_ make: () -> O, total: Int, split: Int,
                                     objective: Objective<Double> = leastSquares,
                                     start: Parameters<Double> = leastSquaresStart()) throws -> Bool where O.Scalar == Double {
    var straight = make()
    var p = start
    for _ in 0..<total { _ = straight.step(&p, objective: objective) }

    var first = make()
    var q = start
    for _ in 0..<split { _ = first.step(&q, objective: objective) }
    var second = make()
    try second.restore(first.state)
    var r = q
    for _ in split..<total { _ = second.step(&r, objective: objective) }
    var third = make()
    try third.restore(first.state, for: q)
    for _ in split..<total { _ = third.step(&q, objective: objective) }
    return p == r && p == q && straight.state == second.state && p != start
}

/// The optimizer and schedule tests, as one suite: `swift test --filter OptimizerTests`.
@Suite struct OptimizerTests {
    // MARK: - One or two steps against reference values

    @Test("SGD: plain, momentum and Nesterov steps match the reference")
    func sgdReference() {
        var plain = SGD<Double>(learningRate: 0.1)
        #expect(matches(run(&plain, steps: 2), [[0.49, -0.9299999999999999, 1.8499999999999999, 0.22999999999999998],
                                               [0.009999999999999995, -0.29]]))
        var momentum = SGD<Double>(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        #expect(matches(run(&momentum, steps: 2), [[0.4705705, -0.891141, 1.7543019999999998, 0.22927524999999999],
                                                  [-0.03500000000000002, -0.28099999999999997]]))
        var nesterov = SGD<Double>(learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01)
        #expect(matches(run(&nesterov, steps: 2), [[0.462569005, -0.83013801, 1.62514822, 0.21084840249999998],
                                                  [-0.1115, -0.2729]]))
        #expect(plain.state.names == ["step"])
        #expect(momentum.state.names == ["w/momentum", "b/momentum", "step"])
        #expect(momentum.stepCount == 2)
    }

    @Test("SGD first step by hand: p − η·(g + λp) for weights, p − η·g for biases")
    func sgdHand() {
        var sgd = SGD<Double>(learningRate: 0.5, momentum: 0.5, weightDecay: 0.1)
        var p = Parameters([("w", Tensor([2.0])), ("b", Tensor([2.0]))], regularized: [true, false])
        sgd.update(&p, along: p.withTensors([Tensor([1.0]), Tensor([1.0])]))
        // w: v = 1 + 0.1·2 = 1.2, w = 2 − 0.6; b: v = 1, b = 2 − 0.5.
        #expect(p.tensors[0].isApproximatelyEqual(to: Tensor<Double>([1.4]), absoluteTolerance: 1e-15))
        #expect(p.tensors[1] == Tensor<Double>([1.5]))
        sgd.update(&p, along: p.withTensors([Tensor([1.0]), Tensor([1.0])]))
        // w: v = 0.5·1.2 + (1 + 0.1·1.4) = 1.74, w = 1.4 − 0.87; b: v = 1.5, b = 0.75.
        #expect(p.tensors[0].isApproximatelyEqual(to: Tensor([0.53]), absoluteTolerance: 1e-15))
        #expect(p.tensors[1] == Tensor([0.75]))
    }

    @Test("Adam and AdamW: two steps match the reference; AdamW decays only regularised tensors")
    func adamReference() {
        var adam = Adam<Double>(learningRate: 0.01)
        #expect(matches(run(&adam, steps: 2), [[0.4873366302718676, -0.9801742497133493, 1.980678203829816, 0.24255863229038277],
                                              [0.08011874237702178, -0.28329941940647696]]))
        var adamW = AdamW<Double>(learningRate: 0.01, weightDecay: 0.1)
        #expect(matches(run(&adamW, steps: 2), [[0.48634713027136756, -0.9781852497130993, 1.976690203829716, 0.24205888229038278],
                                               [0.08011874237702178, -0.28329941940647696]]))
        #expect(adam.state.names == ["w/m", "w/v", "b/m", "b/v", "step"])
        #expect(adam.state["step"] == Tensor(scalar: 2))
        // By hand, first step: m̂ = g, v̂ = g², so every element moves by η·g/|g| = η·sign(g).
        var first = Adam<Double>(learningRate: 0.1, epsilon: 0)
        var p = Parameters([("x", Tensor([1.0, 1.0]))])
        first.update(&p, along: p.withTensors([Tensor([3.0, -0.001])]))
        #expect(p.tensors[0].isApproximatelyEqual(to: Tensor([0.9, 1.1]), absoluteTolerance: 1e-15, relativeTolerance: 0))
    }

    @Test("RMSProp with and without momentum: two steps match the reference")
    func rmspropReference() {
        var plain = RMSProp<Double>(learningRate: 0.01, alpha: 0.9)
        #expect(matches(run(&plain, steps: 2), [[0.48312142183989243, -0.9487656136665488, 1.9536330292176092, 0.21837722839831541],
                                               [0.04799133877977205, -0.26837723339831304]]))
        var momentum = RMSProp<Double>(learningRate: 0.01, alpha: 0.9, momentum: 0.5)
        #expect(matches(run(&momentum, steps: 2), [[0.46731003603905014, -0.9329542266157068, 1.937821641416767, 0.21837722839831541],
                                                  [0.03217995147893007, -0.25256585009746957]]))
        #expect(plain.state.names == ["w/v", "b/v", "step"])
        #expect(momentum.state.names == ["w/v", "w/momentum", "b/v", "b/momentum", "step"])
    }

    @Test("Rprop (iRprop−): three steps with sign changes and zeros match the reference")
    func rpropReference() {
        var rprop = Rprop<Double>()
        let p = run(&rprop, steps: 3)
        #expect(matches(p, [[0.495, -0.9636, 1.9636, 0.24], [0.07800000000000001, -0.3]]))
        let state = rprop.state
        #expect(state.names == ["w/stepSize", "w/previousSign", "b/stepSize", "b/previousSign", "step"])
        #expect(matches(Parameters([("w", state["w/stepSize"]!), ("b", state["b/stepSize"]!)]),
                        [[0.005, 0.0144, 0.0144, 0.005], [0.006, 0.01]]))
        #expect(state["w/previousSign"]!.scalars == [-1, -1, 1, 0])
        #expect(state["b/previousSign"]!.scalars == [0, 1])
        // By hand: the step size is clamped to [Δmin, Δmax].
        var clamped = Rprop<Double>(learningRate: 0.4, increaseFactor: 2, minimumStepSize: 0.3, maximumStepSize: 1)
        var x = Parameters([("x", Tensor([0.0, 0.0]))])
        for g in [[1.0, 1.0], [1.0, -1.0], [1.0, 1.0], [1.0, -1.0]] {
            clamped.update(&x, along: x.withTensors([Tensor(g)]))
        }
        // x₀: steps 0.4, 0.8, 1 (1.6 clamped), 1; x₁: 0.4, then 0.3 (0.2 clamped) but skipped
        // (sign change), 0.3, then skipped again.
        #expect(x.tensors[0].isApproximatelyEqual(to: Tensor([-3.2, -0.7]), absoluteTolerance: 1e-15))
    }

    @Test("L-BFGS: first two steps on ½(x² + 10y²) match the hand and dense-BFGS reference")
    func lbfgsReference() {
        var lbfgs = LBFGS<Double>()
        var p = Parameters([("x", Tensor([1.0, 0.1]))])
        let quadratic: Objective<Double> = { p in
            let (x, y) = (p.tensors[0].scalars[0], p.tensors[0].scalars[1])
            return (0.5 * (x * x + 10 * y * y), p.withTensors([Tensor([x, 10 * y])]))
        }
        // Step 1: d = −g = (−1, −1); the first trial α = 1/‖g‖₁ = 0.5 fails sufficient decrease;
        // the cubic through φ(0) = 0.55, φ′(0) = −2, φ(0.5) = 0.925, φ′(0.5) = 3.5 has its minimum
        // at the exact line minimum α = 2/11, where φ′ = 0: x₁ = (9/11, −0.9/11).
        #expect(lbfgs.step(&p, objective: quadratic) == 0.55)
        #expect(p.tensors[0].isApproximatelyEqual(to: Tensor([9.0 / 11, -0.9 / 11]), absoluteTolerance: 1e-15))
        #expect(lbfgs.evaluationCount == 3)
        // Step 2: the unit step along −H₁g₁ satisfies strong Wolfe; the start is not re-evaluated.
        let loss = lbfgs.step(&p, objective: quadratic)
        #expect(abs(loss - 0.3681818181818181) < 1e-15)
        #expect(p.tensors[0].isApproximatelyEqual(to: Tensor([0.6561656165616561, -0.06561656165616567]),
                                                  absoluteTolerance: 1e-15, relativeTolerance: 1e-12))
        #expect(lbfgs.evaluationCount == 4)
        #expect(lbfgs.state.names == ["x/s.0", "x/y.0", "x/s.1", "x/y.1", "history", "step"])
        // Without reuse, the same steps evaluate once more at the start of step 2, with the same result.
        var fresh = LBFGS<Double>()
        fresh.reusesEvaluation = false
        var q = Parameters([("x", Tensor([1.0, 0.1]))])
        _ = fresh.step(&q, objective: quadratic)
        _ = fresh.step(&q, objective: quadratic)
        #expect(q == p && fresh.evaluationCount == 5)
        #expect(lbfgs.state.names == ["x/s.0", "x/y.0", "x/s.1", "x/y.1", "history", "step"])
    }

    // MARK: - Convergence

    @Test("every optimizer solves a least-squares problem")
    func leastSquaresConvergence() {
        func solve<O: Optimizer>(_ optimizer: O, steps: Int, schedule: ((inout O, Int) -> Void)? = nil) -> Double
        where O.Scalar == Double {
            var optimizer = optimizer
            var p = leastSquaresStart()
            for k in 0..<steps {
                schedule?(&optimizer, k)
                _ = optimizer.step(&p, objective: leastSquares)
            }
            return distanceToSolution(p)
        }
        #expect(solve(SGD(learningRate: 0.05), steps: 2000) < 1e-8)
        #expect(solve(SGD(learningRate: 0.02, momentum: 0.9), steps: 600) < 1e-8)
        #expect(solve(SGD(learningRate: 0.02, momentum: 0.9, nesterov: true), steps: 600) < 1e-8)
        #expect(solve(Adam(learningRate: 0.1), steps: 2000) < 1e-6)
        #expect(solve(AdamW(learningRate: 0.1, weightDecay: 0), steps: 2000) < 1e-6)
        #expect(solve(RMSProp(learningRate: 0.05), steps: 2000) {
            $0.apply(.exponential(gamma: 0.995), base: 0.05, epoch: $1)
        } < 1e-9)
        #expect(solve(RMSProp(learningRate: 0.05, momentum: 0.5), steps: 2000) {
            $0.apply(.exponential(gamma: 0.995), base: 0.05, epoch: $1)
        } < 1e-9)
        // iRprop− stops improving once its step sizes reach Δmin = 10⁻⁶: 1.5139640694439294e-06
        // after 300 steps, in the numpy replica too.
        #expect(solve(Rprop(), steps: 300) < 2e-6)
        #expect(solve(Rprop(minimumStepSize: 1e-12), steps: 300) < 1e-10)
        #expect(solve(LBFGS(gradientTolerance: 1e-12), steps: 20) < 1e-12)
    }

    @Test("L-BFGS and Rprop find the minimum of the Rosenbrock function")
    func rosenbrockConvergence() {
        var lbfgs = LBFGS<Double>(gradientTolerance: 1e-12)
        var p = rosenbrockStart()
        var steps = 0
        let solution = Tensor([1.0, 1.0])
        while steps < 100 && !p.tensors[0].isApproximatelyEqual(to: solution, absoluteTolerance: 1e-6, relativeTolerance: 0) {
            _ = lbfgs.step(&p, objective: rosenbrock)
            steps += 1
        }
        #expect(p.tensors[0].isApproximatelyEqual(to: solution, absoluteTolerance: 1e-6, relativeTolerance: 0))
        #expect(steps <= 40)  // 36 steps and 45 evaluations when written
        #expect(lbfgs.evaluationCount <= 60)
        for _ in 0..<20 { _ = lbfgs.step(&p, objective: rosenbrock) }
        #expect(p.tensors[0].isApproximatelyEqual(to: solution, absoluteTolerance: 1e-12, relativeTolerance: 0))

        // iRprop− follows the curved valley slowly (0.13 from the minimum after 1000 steps, 0.0047
        // after 3000), then stalls about 10⁻³ from it, where the step sizes have shrunk to Δmin and
        // the signs alternate. A numpy replica of PyTorch's Rprop (the `rprop` function of the
        // script, run on this function) stops at the same point: [0.99944737 0.99889526] after
        // 5000 steps.
        var rprop = Rprop<Double>()
        var q = rosenbrockStart()
        for _ in 0..<5000 { _ = rprop.step(&q, objective: rosenbrock) }
        #expect(q.tensors[0].isApproximatelyEqual(to: solution, absoluteTolerance: 2e-3, relativeTolerance: 0))
        #expect(q.tensors[0].isApproximatelyEqual(to: Tensor([0.99944737, 0.99889526]), absoluteTolerance: 1e-8, relativeTolerance: 0))
    }

    // MARK: - State

    @Test("save, restore and continue gives bit-identical parameters to not stopping")
    func stateRoundTrip() throws {
        #expect(try roundTrip({ SGD<Double>(learningRate: 0.05) }, total: 7, split: 3))
        #expect(try roundTrip({ SGD<Double>(learningRate: 0.02, momentum: 0.9, nesterov: true) }, total: 7, split: 3))
        #expect(try roundTrip({ Adam<Double>(learningRate: 0.1) }, total: 7, split: 3))
        #expect(try roundTrip({ AdamW<Double>(learningRate: 0.1, weightDecay: 0.1) }, total: 7, split: 3))
        #expect(try roundTrip({ RMSProp<Double>(momentum: 0.5) }, total: 7, split: 3))
        #expect(try roundTrip({ Rprop<Double>() }, total: 7, split: 3))
        #expect(try roundTrip({ Rprop<Double>() }, total: 7, split: 0))
        #expect(try roundTrip({ LBFGS<Double>(historySize: 3) }, total: 12, split: 5,
                              objective: rosenbrock, start: rosenbrockStart()))
        #expect(try roundTrip({ LBFGS<Double>(historySize: 3) }, total: 4, split: 1))
    }

    @Test("restoring a state of the wrong shape names the tensor and both shapes")
    func restoreWrongShape() {
        func adamState(_ shape: [Int]) -> Parameters<Double> {
            var adam = Adam<Double>()
            var p = Parameters([("w", Tensor<Double>.ones(shape)), ("b", Tensor([0.0]))])
            adam.update(&p, along: p)
            return adam.state
        }
        // Against an optimizer that has already taken a step.
        var used = Adam<Double>()
        var p = Parameters([("w", Tensor<Double>.ones([2, 3])), ("b", Tensor([0.0]))])
        used.update(&p, along: p)
        #expect(stateError {
            try used.restore(adamState([3, 2]))
        } == "Adam state: 'w/m' has shape [3, 2], but parameter 'w' has shape [2, 3]")
        // A fresh optimizer, checked against the parameters.
        var fresh = Adam<Double>()
        #expect(stateError {
            try fresh.restore(adamState([3, 2]), for: p)
        } == "Adam state: 'w/m' has shape [3, 2], but parameter 'w' has shape [2, 3]")
        // Inconsistent tensors within one state.
        var broken = adamState([2, 3])
        let pairs: [(String, Tensor<Double>)] = zip(broken.names, broken.tensors).map { name, t in
            (name, name == "w/v" ? Tensor<Double>.zeros([6]) : t)
        }
        broken = Parameters(pairs)
        #expect(stateError {
            try fresh.restore(broken)
        } == "Adam state: 'w/v' has shape [6], but 'w/m' has shape [2, 3]")
        // Other optimizers, through the same checks.
        var rprop = Rprop<Double>()
        var x = Parameters([("x", Tensor([1.0, 2.0]))])
        rprop.update(&x, along: x)
        var bigger = Rprop<Double>()
        var y = Parameters([("x", Tensor([1.0, 2.0, 3.0]))])
        bigger.update(&y, along: y)
        #expect(stateError {
            try rprop.restore(bigger.state)
        } == "Rprop state: 'x/stepSize' has shape [3], but parameter 'x' has shape [2]")
        var lbfgs = LBFGS<Double>()
        var z = rosenbrockStart()
        _ = lbfgs.step(&z, objective: rosenbrock)
        var other = LBFGS<Double>()
        #expect(stateError {
            try other.restore(lbfgs.state, for: Parameters([("xy", Tensor([1.0, 2.0, 3.0]))]))
        } == "LBFGS state: 'xy/s.0' has shape [2], but parameter 'xy' has shape [3]")
    }

    @Test("restore rejects missing, unknown and invalid tensors with clear messages")
    func restoreInvalid() {
        var adam = Adam<Double>()
        #expect(stateError {
            try adam.restore(Parameters([("w/m", Tensor([1.0])), ("step", Tensor(scalar: 1))]))
        } == "Adam state: missing 'w/v'")
        #expect(stateError {
            try adam.restore(Parameters([("w/m", Tensor([1.0])), ("w/v", Tensor([1.0]))]))
        } == "Adam state: missing scalar 'step'")
        #expect(stateError {
            try adam.restore(Parameters([("w/velocity", Tensor([1.0])), ("step", Tensor(scalar: 1))]))
        } == "Adam state: 'w/velocity' has unknown slot 'velocity' (this optimizer's slots: 'm', 'v')")
        #expect(stateError {
            try adam.restore(Parameters([("step", Tensor([1.0]))]))
        } == "Adam state: 'step' must be a scalar (shape []), got shape [1]")
        var sgd = SGD<Double>()
        #expect(stateError {
            try sgd.restore(Parameters([("w/momentum", Tensor([1.0])), ("step", Tensor(scalar: 1))]))
        } == "SGD state: 'w/momentum' has unknown slot 'momentum' (this optimizer's slots: none)")
        var rprop = Rprop<Double>()
        #expect(stateError {
            try rprop.restore(Parameters([("w/stepSize", Tensor([0.1])), ("w/previousSign", Tensor([0.5])),
                                          ("step", Tensor(scalar: 1))]))
        } == "Rprop state: 'w/previousSign' holds 0.5; signs must be -1, 0 or 1")
        var lbfgs = LBFGS<Double>(historySize: 2)
        #expect(stateError {
            try lbfgs.restore(Parameters([("history", Tensor(scalar: 3)), ("step", Tensor(scalar: 3))]))
        } == "LBFGS state: 3 curvature pairs, but the history size is 2")
        // A state saved before the first update restores to a fresh optimizer.
        var fresh = Adam<Double>()
        #expect(stateError { try fresh.restore(Adam<Double>().state) } == nil)
    }

    // MARK: - Schedules and Float

    @Test("learning-rate schedules give the closed-form rates, and apply sets the optimizer's rate")
    func schedules() {
        let step = LearningRateSchedule.step(every: 10, gamma: 0.5)
        #expect([0, 9, 10, 19, 25].map { step.learningRate(base: 0.2, epoch: $0) } == [0.2, 0.2, 0.1, 0.1, 0.05])
        let exponential = LearningRateSchedule.exponential(gamma: 0.9)
        #expect(abs(exponential.learningRate(base: 1, epoch: 2) - 0.81) < 1e-15)
        #expect(exponential.learningRate(base: 3, epoch: 0) == 3)
        let cosine = LearningRateSchedule.cosine(total: 10, minimum: 0.1)
        #expect(cosine.learningRate(base: 1, epoch: 0) == 1)
        #expect(abs(cosine.learningRate(base: 1, epoch: 5) - 0.55) < 1e-15)
        // 0.1 + 0.9·(1 + cos(π/5))/2, cos(π/5) = (1 + √5)/4 = 0.8090169943749475.
        #expect(abs(cosine.learningRate(base: 1, epoch: 2) - 0.9140576474687264) < 1e-15)
        #expect(cosine.learningRate(base: 1, epoch: 10) == 0.1)
        #expect(cosine.learningRate(base: 1, epoch: 15) == 0.1)
        #expect(LearningRateSchedule.constant.learningRate(base: 0.3, epoch: 99) == 0.3)
        var sgd = SGD<Float>(learningRate: 1)
        sgd.apply(step, base: 0.2, epoch: 25)
        #expect(sgd.learningRate == Float(0.05))
    }

    @Test("Float optimizers follow the Double ones")
    func floatMatchesDouble() {
        func compare<F: Optimizer, D: Optimizer>(_ f: F, _ d: D) -> Bool where F.Scalar == Float, D.Scalar == Double {
            var (f, d) = (f, d)
            var pd = referenceParameters()
            var pf = Parameters<Float>(zip(pd.names, pd.tensors.map { $0.converted(to: Float.self) }).map { ($0, $1) },
                                       regularized: pd.regularized)
            for g in referenceGradients {
                d.update(&pd, along: g)
                f.update(&pf, along: pf.withTensors(g.tensors.map { $0.converted(to: Float.self) }))
            }
            return zip(pf.tensors, pd.tensors).allSatisfy {
                $0.converted(to: Double.self).isApproximatelyEqual(to: $1, absoluteTolerance: 1e-6, relativeTolerance: 1e-5)
            }
        }
        #expect(compare(SGD<Float>(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01),
                        SGD<Double>(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)))
        #expect(compare(Adam<Float>(learningRate: 0.01), Adam<Double>(learningRate: 0.01)))
        #expect(compare(AdamW<Float>(learningRate: 0.01), AdamW<Double>(learningRate: 0.01)))
        #expect(compare(RMSProp<Float>(momentum: 0.5), RMSProp<Double>(momentum: 0.5)))
        #expect(compare(Rprop<Float>(), Rprop<Double>()))
        #expect(compare(LBFGS<Float>(learningRate: 0.1), LBFGS<Double>(learningRate: 0.1)))
    }

    @Test("large Float tensors are updated in parallel chunks with the same result as one thread")
    func parallelChunks() {
        let n = 300_000
        var generator = SplitMix64(seed: 7)
        let start = Parameters([("w", Tensor<Float>.normal([n], generator: &generator))])
        let gradient = start.withTensors([Tensor<Float>.normal([n], generator: &generator)])
        func twoSteps(threads: Int) -> Parameters<Float> {
            Parallelism.$threads.withValue(threads) {
                var adam = Adam<Float>(learningRate: 0.01)
                var rprop = Rprop<Float>()
                var p = start
                adam.update(&p, along: gradient)
                rprop.update(&p, along: gradient)
                return p
            }
        }
        #expect(twoSteps(threads: 1) == twoSteps(threads: 2))
    }
}

/* The reference script (numpy 2.4, float64); its output is pasted into the tests above.

import numpy as np

w0 = np.array([[0.5, -1.0], [2.0, 0.25]]); b0 = np.array([0.1, -0.3])
grads = [
    (np.array([[0.2, -0.4], [1.0, 0.0]]), np.array([0.5, -0.1])),
    (np.array([[-0.1, -0.3], [0.5, 0.2]]), np.array([0.4, 0.0])),
    (np.array([[-0.2, -0.1], [0.3, -0.2]]), np.array([-0.1, 0.3])),
]

def show(name, ps):
    print(name, [list(map(float, p.ravel())) for p in ps])

def sgd(lr, mu, nesterov, wd, steps=2):        # torch.optim.SGD's documented algorithm
    ps = [w0.copy(), b0.copy()]; bufs = [None, None]; decays = [wd, 0.0]
    for t in range(steps):
        for k in range(2):
            g = grads[t][k] + decays[k] * ps[k]
            if mu != 0:
                bufs[k] = g.copy() if t == 0 else mu * bufs[k] + g
                g = g + mu * bufs[k] if nesterov else bufs[k]
            ps[k] = ps[k] - lr * g
    return ps

def adam(lr, b1, b2, eps, wd=0.0, steps=2):    # torch.optim.Adam / AdamW (wd decoupled)
    ps = [w0.copy(), b0.copy()]; m = [0 * p for p in ps]; v = [0 * p for p in ps]; decays = [wd, 0.0]
    for t in range(1, steps + 1):
        for k in range(2):
            g = grads[t - 1][k]
            ps[k] = ps[k] * (1 - lr * decays[k])
            m[k] = b1 * m[k] + (1 - b1) * g
            v[k] = b2 * v[k] + (1 - b2) * g * g
            mhat = m[k] / (1 - b1 ** t); vhat = v[k] / (1 - b2 ** t)
            ps[k] = ps[k] - lr * mhat / (np.sqrt(vhat) + eps)
    return ps

def rmsprop(lr, alpha, eps, mu, steps=2):      # torch.optim.RMSprop, not centred
    ps = [w0.copy(), b0.copy()]; v = [0 * p for p in ps]; buf = [0 * p for p in ps]
    for t in range(steps):
        for k in range(2):
            g = grads[t][k]
            v[k] = alpha * v[k] + (1 - alpha) * g * g
            if mu > 0:
                buf[k] = mu * buf[k] + g / (np.sqrt(v[k]) + eps)
                ps[k] = ps[k] - lr * buf[k]
            else:
                ps[k] = ps[k] - lr * g / (np.sqrt(v[k]) + eps)
    return ps

def rprop(lr, etaminus, etaplus, smin, smax, steps=3):   # torch.optim.Rprop (iRprop-)
    ps = [w0.copy(), b0.copy()]; prev = [0 * p for p in ps]; eta = [np.full_like(p, lr) for p in ps]
    for t in range(steps):
        for k in range(2):
            g = grads[t][k].copy()
            prod = g * prev[k]
            eta[k] = np.where(prod > 0, np.minimum(eta[k] * etaplus, smax),
                     np.where(prod < 0, np.maximum(eta[k] * etaminus, smin), eta[k]))
            g = np.where(prod < 0, 0.0, g)
            ps[k] = ps[k] - np.sign(g) * eta[k]
            prev[k] = g
    return ps, eta, prev

show("sgd plain", sgd(0.1, 0.0, False, 0.0))
show("sgd momentum", sgd(0.1, 0.9, False, 0.01))
show("sgd nesterov", sgd(0.1, 0.9, True, 0.01))
show("adam", adam(0.01, 0.9, 0.999, 1e-8))
show("adamw", adam(0.01, 0.9, 0.999, 1e-8, wd=0.1))
show("rmsprop", rmsprop(0.01, 0.9, 1e-8, 0.0))
show("rmsprop momentum", rmsprop(0.01, 0.9, 1e-8, 0.5))
ps, eta, prev = rprop(0.01, 0.5, 1.2, 1e-6, 50)
show("rprop params", ps); show("rprop step sizes", eta); show("rprop prev sign", [np.sign(p) for p in prev])

# L-BFGS on f(x) = 1/2 (x1^2 + 10 x2^2) from (1, 0.1), history 10, lr 1.
A = np.diag([1.0, 10.0]); f = lambda x: 0.5 * x @ A @ x; grad = lambda x: A @ x
x0 = np.array([1.0, 0.1]); g0 = grad(x0)
# Step 1: d = -g0; the first trial 1/|g0|_1 = 0.5 fails Armijo; the cubic through (0, f0, g0.d) and
# (0.5, f(0.5), g.d) of this quadratic is exact: its minimiser 2/11 is the exact line minimum.
d0 = -g0; alpha = -(g0 @ d0) / (d0 @ A @ d0); print("alpha1", alpha, "= 2/11:", 2 / 11)
x1 = x0 + alpha * d0; g1 = grad(x1); print("x1", list(x1), "f1", f(x1))
# Step 2: dense BFGS inverse-Hessian update of H0 = gamma I with the pair (s, y).
s = x1 - x0; y = g1 - g0; rho = 1 / (y @ s); gamma = (s @ y) / (y @ y)
I = np.eye(2); H = (I - rho * np.outer(s, y)) @ (gamma * I) @ (I - rho * np.outer(y, s)) + rho * np.outer(s, s)
d1 = -H @ g1; c1, c2 = 1e-4, 0.9
x2 = x1 + d1; g2 = grad(x2)
print("strong Wolfe at alpha=1:", f(x2) <= f(x1) + c1 * (g1 @ d1), abs(g2 @ d1) <= -c2 * (g1 @ d1))
print("x2", list(x2), "f2", f(x2))

Output:
sgd plain [[0.49, -0.9299999999999999, 1.8499999999999999, 0.22999999999999998], [0.009999999999999995, -0.29]]
sgd momentum [[0.4705705, -0.891141, 1.7543019999999998, 0.22927524999999999], [-0.03500000000000002, -0.28099999999999997]]
sgd nesterov [[0.462569005, -0.83013801, 1.62514822, 0.21084840249999998], [-0.1115, -0.2729]]
adam [[0.4873366302718676, -0.9801742497133493, 1.980678203829816, 0.24255863229038277], [0.08011874237702178, -0.28329941940647696]]
adamw [[0.48634713027136756, -0.9781852497130993, 1.976690203829716, 0.24205888229038278], [0.08011874237702178, -0.28329941940647696]]
rmsprop [[0.48312142183989243, -0.9487656136665488, 1.9536330292176092, 0.21837722839831541], [0.04799133877977205, -0.26837723339831304]]
rmsprop momentum [[0.46731003603905014, -0.9329542266157068, 1.937821641416767, 0.21837722839831541], [0.03217995147893007, -0.25256585009746957]]
rprop params [[0.495, -0.9636, 1.9636, 0.24], [0.07800000000000001, -0.3]]
rprop step sizes [[0.005, 0.0144, 0.0144, 0.005], [0.006, 0.01]]
rprop prev sign [[-1.0, -1.0, 1.0, 0.0], [0.0, 1.0]]
alpha1 0.18181818181818182 = 2/11: 0.18181818181818182
x1 [0.8181818181818181, -0.08181818181818182] f1 0.3681818181818181
strong Wolfe at alpha=1: True True
x2 [0.6561656165616561, -0.06561656165616567] f2 0.23680432399675608
*/
