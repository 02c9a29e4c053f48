// Elementwise nonlinearities. Each pullback captures only what it needs: sigmoid, tanh and exp
// keep their output (the derivative is a function of it), log and relu keep their input.

/// exp: y = eˣ.
/// Pullback: ∂x = ȳ ⊙ y.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func exp<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
    let y = exp(x.value)
    return x.tape.record(y, op: "exp", inputs: [x]) { g, _ in [g * y] }
}

/// log: y = ln x.
/// Pullback: ∂x = ȳ ⊘ x.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func log<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
    let v = x.value
    return x.tape.record(log(v), op: "log", inputs: [x]) { g, _ in [g / v] }
}

/// sigmoid: y = 1 / (1 + e⁻ˣ), evaluated without overflow for any x (see ``sigmoid(_:)-tensor``).
/// Pullback: ∂x = ȳ ⊙ y ⊙ (1 − y).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func sigmoid<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
    let y = sigmoid(x.value)
    return x.tape.record(y, op: "sigmoid", inputs: [x]) { g, _ in
        [Tensor(shape: y.shape, scalars: Kernels.zip(g.scalars, y.scalars) { g, y in g * y * (1 - y) })]
    }
}

/// tanh: y = tanh x.
/// Pullback: ∂x = ȳ ⊙ (1 − y²).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func tanh<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
    let y = tanh(x.value)
    return x.tape.record(y, op: "tanh", inputs: [x]) { g, _ in
        [Tensor(shape: y.shape, scalars: Kernels.zip(g.scalars, y.scalars) { g, y in g * (1 - y * y) })]
    }
}

/// relu: y = max(x, 0).
/// Pullback: ∂x = ȳ where x > 0, else 0 (the subgradient 0 at x = 0).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func relu<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
    let v = x.value
    return x.tape.record(relu(v), op: "relu", inputs: [x]) { g, _ in
        [Tensor(shape: v.shape, scalars: Kernels.zip(g.scalars, v.scalars) { g, x in x > 0 ? g : 0 })]
    }
}

/// identity: y = x. Recorded (rather than returning x) so graph dumps show the layer.
/// Pullback: ∂x = ȳ.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func identity<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
    x.tape.record(x.value, op: "identity", inputs: [x]) { g, _ in [g] }
}

/// softmax along the last axis: yⱼ = e^{xⱼ − m} / Σₖ e^{xₖ − m} per row, m the row's maximum
/// (the shift cancels; it keeps every exponent ≤ 0, so large logits do not overflow).
/// Pullback: ∂xⱼ = yⱼ (ȳⱼ − Σₖ ȳₖ yₖ) per row.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func softmax<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
    let y = softmax(x.value)
    return x.tape.record(y, op: "softmax", inputs: [x]) { g, _ in [softmaxRowsPullback(g, output: y, logarithm: false)] }
}

/// log-softmax along the last axis: yⱼ = xⱼ − m − log Σₖ e^{xₖ − m} per row, m the row's
/// maximum: finite for any finite logits, where log(softmax(x)) underflows to −∞.
/// Pullback: ∂xⱼ = ȳⱼ − softmax(x)ⱼ Σₖ ȳₖ per row, with softmax(x) = e^y.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func logSoftmax<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
    let y = logSoftmax(x.value)
    return x.tape.record(y, op: "log softmax", inputs: [x]) { g, _ in [softmaxRowsPullback(g, output: y, logarithm: true)] }
}

/// The pullback of softmax or log-softmax from the op's output (``Kernels/softmaxRowsPullback``).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func softmaxRowsPullback<Scalar>(_ g: Tensor<Scalar>, output y: Tensor<Scalar>, logarithm: Bool) -> Tensor<Scalar> {
    let columns = y.shape[y.rank - 1]
    let rows = columns == 0 ? 0 : y.count / columns
    let dx = [Scalar](unsafeUninitializedCapacity: y.count) { out, initialized in
        g.scalars.withUnsafeBufferPointer { pg in
            y.scalars.withUnsafeBufferPointer { py in
                if y.count > 0 {
                    Kernels.softmaxRowsPullback(pg.baseAddress!, output: py.baseAddress!, rows: rows, columns: columns,
                                                into: out.baseAddress!, logarithm: logarithm)
                }
            }
        }
        initialized = y.count
    }
    return Tensor(shape: y.shape, scalars: dx)
}
