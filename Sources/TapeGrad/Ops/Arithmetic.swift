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
