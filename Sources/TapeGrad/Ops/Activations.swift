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
