// Elementwise arithmetic. Binary ops broadcast with NumPy rules; the pullback of a broadcast
// operand sums the upstream gradient over the broadcast dimensions (Kernels.unbroadcast).

extension Variable {
    /// add: y = a + b (broadcast).
    /// Pullback: ∂a = unbroadcast(ȳ), ∂b = unbroadcast(ȳ).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (a: Variable, b: Variable) -> Variable {
        let (sa, sb) = (a.shape, b.shape)
        return a.tape.record(a.value + b.value, op: "add", inputs: [a, b]) { g, needed in
            [needed[0] ? Kernels.unbroadcast(g, to: sa) : nil,
             needed[1] ? Kernels.unbroadcast(g, to: sb) : nil]
        }
    }

    /// subtract: y = a − b (broadcast).
    /// Pullback: ∂a = unbroadcast(ȳ), ∂b = −unbroadcast(ȳ).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func - (a: Variable, b: Variable) -> Variable {
        let (sa, sb) = (a.shape, b.shape)
        return a.tape.record(a.value - b.value, op: "subtract", inputs: [a, b]) { g, needed in
            [needed[0] ? Kernels.unbroadcast(g, to: sa) : nil,
             needed[1] ? -Kernels.unbroadcast(g, to: sb) : nil]
        }
    }

    /// multiply: y = a ⊙ b (broadcast).
    /// Pullback: ∂a = unbroadcast(ȳ ⊙ b), ∂b = unbroadcast(ȳ ⊙ a).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (a: Variable, b: Variable) -> Variable {
        let (va, vb) = (a.value, b.value)
        return a.tape.record(va * vb, op: "multiply", inputs: [a, b]) { g, needed in
            [needed[0] ? Kernels.unbroadcast(g * vb, to: va.shape) : nil,
             needed[1] ? Kernels.unbroadcast(g * va, to: vb.shape) : nil]
        }
    }

    /// divide: y = a ⊘ b (broadcast).
    /// Pullback: ∂a = unbroadcast(ȳ ⊘ b), ∂b = −unbroadcast(ȳ ⊙ a ⊘ b²).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func / (a: Variable, b: Variable) -> Variable {
        let (va, vb) = (a.value, b.value)
        return a.tape.record(va / vb, op: "divide", inputs: [a, b]) { g, needed in
            [needed[0] ? Kernels.unbroadcast(g / vb, to: va.shape) : nil,
             needed[1] ? -Kernels.unbroadcast(g * va / (vb * vb), to: vb.shape) : nil]
        }
    }

    /// negate: y = −x.
    /// Pullback: ∂x = −ȳ.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static prefix func - (x: Variable) -> Variable {
        x.tape.record(-x.value, op: "negate", inputs: [x]) { g, _ in [-g] }
    }

    /// scale: y = s · x for a constant scalar s.
    /// Pullback: ∂x = s · ȳ.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (x: Variable, s: Scalar) -> Variable {
        x.tape.record(x.value * s, op: "scale", inputs: [x]) { g, _ in [g * s] }
    }

    /// scale: y = s · x for a constant scalar s.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (s: Scalar, x: Variable) -> Variable { x * s }

    /// shift: y = x + s for a constant scalar s.
    /// Pullback: ∂x = ȳ.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (x: Variable, s: Scalar) -> Variable {
        x.tape.record(x.value + s, op: "shift", inputs: [x]) { g, _ in [g] }
    }

    /// shift: y = s + x for a constant scalar s.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (s: Scalar, x: Variable) -> Variable { x + s }

    /// y = x − s for a constant scalar s (a shift by −s).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func - (x: Variable, s: Scalar) -> Variable { x + (-s) }

    /// add a constant: y = x + c (broadcast), for a tensor c that needs no gradient.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (x: Variable, c: Tensor<Scalar>) -> Variable { x + x.tape.variable(c, name: "constant") }

    /// subtract a constant: y = x − c (broadcast).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func - (x: Variable, c: Tensor<Scalar>) -> Variable { x - x.tape.variable(c, name: "constant") }

    /// multiply by a constant: y = x ⊙ c (broadcast).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (x: Variable, c: Tensor<Scalar>) -> Variable { x * x.tape.variable(c, name: "constant") }
}

/// square: y = x².
/// Pullback: ∂x = 2 x ⊙ ȳ.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func square<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
    let v = x.value
    return x.tape.record(v.squared(), op: "square", inputs: [x]) { g, _ in [g * v * 2] }
}

/// abs: y = |x|.
/// Pullback: ∂x = ȳ ⊙ sign(x), with the subgradient 0 at x = 0 (as PyTorch).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func abs<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
    let v = x.value
    return x.tape.record(abs(v), op: "abs", inputs: [x]) { g, _ in
        [Tensor(shape: v.shape, scalars: Kernels.zip(g.scalars, v.scalars) { g, x in x > 0 ? g : x < 0 ? -g : 0 })]
    }
}

/// sqrt: y = √x.
/// Pullback: ∂x = ȳ ⊘ (2y) (infinite at x = 0, where √ has a vertical tangent).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func sqrt<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
    let y = sqrt(x.value)
    return x.tape.record(y, op: "sqrt", inputs: [x]) { g, _ in
        [Tensor(shape: y.shape, scalars: Kernels.zip(g.scalars, y.scalars) { g, y in g / (2 * y) })]
    }
}

/// pow: y = xᵖ for a constant scalar exponent p (`pow(x, 2)` is `square(x)`'s value).
/// Pullback: ∂x = ȳ ⊙ p xᵖ⁻¹, and 0 for p = 0 (y is the constant 1 even at x = 0).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func pow<Scalar>(_ x: Variable<Scalar>, _ p: Scalar) -> Variable<Scalar> {
    let v = x.value
    return x.tape.record(pow(v, p), op: "pow(\(p))", inputs: [x]) { g, _ in
        if p == 0 { return [Tensor.zeros(v.shape)] }
        return [Tensor(shape: v.shape, scalars: Kernels.zip(g.scalars, v.scalars) { g, x in g * p * Scalar.pow(x, p - 1) })]
    }
}

/// pow: y = aᵇ elementwise (broadcast), both operands differentiable.
/// Pullback: ∂a = unbroadcast(ȳ ⊙ b aᵇ⁻¹), ∂b = unbroadcast(ȳ ⊙ aᵇ ln a), which needs a > 0;
/// at a = 0 the ∂b term is taken as 0 (the limit of aᵇ ln a for b > 0, PyTorch's choice).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func pow<Scalar>(_ a: Variable<Scalar>, _ b: Variable<Scalar>) -> Variable<Scalar> {
    let (va, vb) = (a.value, b.value)
    return a.tape.record(pow(va, vb), op: "pow", inputs: [a, b]) { g, needed in
        [needed[0] ? Kernels.unbroadcast(g * Kernels.broadcast(va, vb, op: "pow") { x, p in p * Scalar.pow(x, p - 1) }, to: va.shape) : nil,
         needed[1] ? Kernels.unbroadcast(g * Kernels.broadcast(va, vb, op: "pow") { x, p in
             x == 0 ? 0 : Scalar.pow(x, p) * Scalar.log(x)
         }, to: vb.shape) : nil]
    }
}

/// maximum: y = max(a, b) elementwise (broadcast like `+`).
/// Pullback: ȳ goes to the operand that was taken: ∂a = unbroadcast(ȳ ⊙ [a ≥ b]),
/// ∂b = unbroadcast(ȳ ⊙ [a < b]). Ties go to the first argument (a subgradient; the two
/// halves ½ȳ would be another).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func maximum<Scalar>(_ a: Variable<Scalar>, _ b: Variable<Scalar>) -> Variable<Scalar> {
    let (va, vb) = (a.value, b.value)
    return a.tape.record(maximum(va, vb), op: "maximum", inputs: [a, b]) { g, needed in
        let takesA = Kernels.broadcast(va, vb, op: "maximum") { maximumTakesFirst($0, $1) ? 1 : 0 }
        return Variable.routed(g, takesA: takesA, shapes: (va.shape, vb.shape), needed: needed)
    }
}

/// minimum: y = min(a, b) elementwise (broadcast like `+`).
/// Pullback: ∂a = unbroadcast(ȳ ⊙ [a ≤ b]), ∂b = unbroadcast(ȳ ⊙ [a > b]); ties go to the first
/// argument.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func minimum<Scalar>(_ a: Variable<Scalar>, _ b: Variable<Scalar>) -> Variable<Scalar> {
    let (va, vb) = (a.value, b.value)
    return a.tape.record(minimum(va, vb), op: "minimum", inputs: [a, b]) { g, needed in
        let takesA = Kernels.broadcast(va, vb, op: "minimum") { minimumTakesFirst($0, $1) ? 1 : 0 }
        return Variable.routed(g, takesA: takesA, shapes: (va.shape, vb.shape), needed: needed)
    }
}

extension Variable {
    /// The pullback of an elementwise choice between a and b: ȳ where a was taken (`takesA`
    /// is 1) to a, elsewhere to b, each summed down to its operand's shape.
    static func routed(_ g: Tensor<Scalar>, takesA: Tensor<Scalar>, shapes: ([Int], [Int]), needed: [Bool]) -> [Tensor<Scalar>?] {
        [needed[0] ? Kernels.unbroadcast(Tensor(shape: g.shape, scalars: Kernels.zip(g.scalars, takesA.scalars) { $1 != 0 ? $0 : 0 }), to: shapes.0) : nil,
         needed[1] ? Kernels.unbroadcast(Tensor(shape: g.shape, scalars: Kernels.zip(g.scalars, takesA.scalars) { $1 != 0 ? 0 : $0 }), to: shapes.1) : nil]
    }
}
