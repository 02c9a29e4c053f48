import TapeGrad

/// Checks a function's tape gradients against central finite differences.
///
/// Use it on every new op and on whole models: a pullback with a wrong sign, a missing
/// broadcast reduction or a forgotten accumulation shows up as a failure naming the input, the
/// element, both values and the relative error.
///
/// Checks run in `Double`: in `Float` the rounding error of a central difference (about
/// ε_machine / h ≈ 1e-7 / 1e-3) is as large as the errors being looked for, so Float checks
/// either fail on correct code or need tolerances so loose that they pass wrong code.
///
/// ```swift
/// let report = GradientCheck.run("sigmoid", at: [x]) { tape, v in sigmoid(v[0]).sum() }
/// #expect(report.passed, "\(report)")
/// ```
public enum GradientCheck {
    /// Which derivatives to compare.
    public enum Mode: Sendable {
        /// Every coordinate of every input: 2 function evaluations per element. For small tensors.
        case full
        /// `samples` random directions u (a normal vector per input, seeded): the numeric
        /// directional derivative (L(x + hu) − L(x − hu)) / 2h against ⟨∇L, u⟩. The cost is
        /// 2 evaluations per sample whatever the size, so whole models can be checked.
        case directional(samples: Int)
    }

    /// When a numeric and an analytic derivative agree.
    ///
    /// They agree when |analytic − numeric| ≤ `absolute` + `relative` · |numeric|. The defaults
    /// are PyTorch gradcheck's (h = 1e-6, atol = 1e-5, rtol = 1e-3), which are calibrated for
    /// Double: the central difference has truncation error O(h²) and rounding error
    /// O(ε_machine · |L| / h) ≈ 1e-10 · |L|.
    public struct Tolerance: Sendable {
        /// The finite-difference step h.
        public var step: Double
        /// The absolute tolerance.
        public var absolute: Double
        /// The relative tolerance.
        public var relative: Double

        /// Creates a tolerance.
        public init(step: Double = 1e-6, absolute: Double = 1e-5, relative: Double = 1e-3) {
            self.step = step
            self.absolute = absolute
            self.relative = relative
        }

        /// PyTorch gradcheck's defaults.
        public static let standard = Tolerance()
    }

    /// One derivative that did not match.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// The name given to the check (usually the op).
        public var name: String
        /// Which input (position in the `at:` list).
        public var input: Int
        /// The element's row-major index, or nil for a directional sample.
        public var element: Int?
        /// The directional sample's number, or nil in full mode.
        public var sample: Int?
        /// The tape's derivative.
        public var analytic: Double
        /// The finite-difference derivative.
        public var numeric: Double

        /// |analytic − numeric| / max(|numeric|, tiny).
        public var relativeError: Double { abs(analytic - numeric) / max(abs(numeric), 1e-300) }

        /// One line naming everything needed to find the bug.
        public var description: String {
            let place = element.map { "input \(input), element \($0)" } ?? "direction \(sample ?? 0)"
            return "gradient check '\(name)' failed at \(place): analytic \(analytic), numeric \(numeric), relative error \(relativeError)"
        }
    }

    /// The outcome of a check.
    public struct Report: CustomStringConvertible, Sendable {
        /// The name given to the check.
        public var name: String
        /// How many derivatives were compared.
        public var comparisons: Int
        /// The derivatives that did not match.
        public var failures: [Failure]
        /// The largest relative error seen among all comparisons.
        public var maxRelativeError: Double

        /// True when every comparison agreed.
        public var passed: Bool { failures.isEmpty }

        /// A summary, then up to ten failures.
        public var description: String {
            var lines = ["gradient check '\(name)': \(comparisons) comparisons, \(failures.count) failures, max relative error \(maxRelativeError)"]
            lines += failures.prefix(10).map { "  " + $0.description }
            if failures.count > 10 { lines.append("  … \(failures.count - 10) more") }
            return lines.joined(separator: "\n")
        }
    }

    /// Compares the tape gradients of `function` with finite differences at `inputs`.
    ///
    /// - Parameters:
    ///   - name: names the check in failures (usually the op).
    ///   - inputs: the point; the function is differentiated with respect to all of them.
    ///   - mode: ``Mode/full`` or ``Mode/directional(samples:)``.
    ///   - tolerance: see ``Tolerance``.
    ///   - seed: seeds the projection of a non-scalar output and the random directions.
    ///   - function: builds the computation on a fresh tape from variables holding the inputs.
    ///     Its output may have any shape: a non-scalar output y is checked through the scalar
    ///     ⟨v, y⟩ for a fixed random v, which exercises every output element. What it throws
    ///     (a `GraphError` for data a graph rejects) is rethrown.
    public static func run<ThrownError: Error>(_ name: String, at inputs: [Tensor<Double>], mode: Mode = .full,
                                           tolerance: Tolerance = .standard, seed: UInt64 = 0x5EED,
                                           _ function: (Tape<Double>, [Variable<Double>]) throws(ThrownError) -> Variable<Double>)
        throws(ThrownError) -> Report {
        var generator = SplitMix64(seed: seed)

        // The analytic gradient, and the projection v that makes the output a scalar.
        let tape = Tape<Double>()
        let variables = inputs.enumerated().map { tape.variable($1, name: "input \($0)") }
        let output = try function(tape, variables)
        let projection = output.value.count == 1
            ? Tensor<Double>(repeating: 1, shape: output.shape)
            : Tensor<Double>.normal(output.shape, generator: &generator)
        let analytic = tape.gradients(of: output, withRespectTo: variables, seed: projection)

        func evaluate(_ point: [Tensor<Double>]) throws(ThrownError) -> Double {
            let t = Tape<Double>(recording: false)
            let y = try function(t, point.map { t.variable($0) })
            return zip(y.value.scalars, projection.scalars).reduce(0) { $0 + $1.0 * $1.1 }
        }

        var report = Report(name: name, comparisons: 0, failures: [], maxRelativeError: 0)
        func compare(_ a: Double, _ n: Double, input: Int, element: Int?, sample: Int?) {
            report.comparisons += 1
            let failure = Failure(name: name, input: input, element: element, sample: sample, analytic: a, numeric: n)
            if a != n { report.maxRelativeError = max(report.maxRelativeError, failure.relativeError) }
            if !(abs(a - n) <= tolerance.absolute + tolerance.relative * abs(n)) { report.failures.append(failure) }
        }

        let h = tolerance.step
        switch mode {
        case .full:
            for (i, input) in inputs.enumerated() {
                for j in 0..<input.count {
                    var plus = inputs, minus = inputs
                    plus[i].scalars[j] += h
                    minus[i].scalars[j] -= h
                    let numeric = (try evaluate(plus) - evaluate(minus)) / (2 * h)
                    compare(analytic[i].scalars[j], numeric, input: i, element: j, sample: nil)
                }
            }
        case .directional(let samples):
            for s in 0..<samples {
                let directions = inputs.map { Tensor<Double>.normal($0.shape, generator: &generator) }
                let plus = zip(inputs, directions).map { $0 + $1 * h }
                let minus = zip(inputs, directions).map { $0 - $1 * h }
                let numeric = (try evaluate(plus) - evaluate(minus)) / (2 * h)
                var predicted = 0.0
                for (g, u) in zip(analytic, directions) {
                    predicted += zip(g.scalars, u.scalars).reduce(0) { $0 + $1.0 * $1.1 }
                }
                compare(predicted, numeric, input: 0, element: nil, sample: s)
            }
        }
        return report
    }
}
