// Reductions and shape ops.

extension Variable {
    /// sum: y = Σᵢ xᵢ (rank 0).
    /// Pullback: ∂x = ȳ broadcast to x's shape.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sum() -> Variable {
        let shape = self.shape
        return tape.record(value.sum(), op: "sum", inputs: [self]) { g, _ in
            [Tensor(repeating: g.scalar, shape: shape)]
        }
    }

    /// mean: y = (1/n) Σᵢ xᵢ (rank 0).
    /// Pullback: ∂x = ȳ / n everywhere.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func mean() -> Variable {
        let shape = self.shape
        let n = Scalar(value.count)
        return tape.record(value.mean(), op: "mean", inputs: [self]) { g, _ in
            [Tensor(repeating: g.scalar / n, shape: shape)]
        }
    }

    /// sum along an axis of a matrix: axis 0 gives yⱼ = Σᵢ xᵢⱼ, axis 1 gives yᵢ = Σⱼ xᵢⱼ.
    /// Pullback: ∂xᵢⱼ = ȳⱼ (axis 0) or ȳᵢ (axis 1).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sum(alongAxis axis: Int) -> Variable {
        let shape = self.shape
        return tape.record(value.sum(alongAxis: axis), op: "sum(axis: \(axis))", inputs: [self]) { g, _ in
            [Variable.spread(g, alongAxis: axis, to: shape, scale: 1)]
        }
    }

    /// mean along an axis of a matrix: the sum divided by the axis length.
    /// Pullback: ∂xᵢⱼ = ȳ / n along the reduced axis.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func mean(alongAxis axis: Int) -> Variable {
        let shape = self.shape
        let n = Scalar(shape[axis])
        return tape.record(value.mean(alongAxis: axis), op: "mean(axis: \(axis))", inputs: [self]) { g, _ in
            [Variable.spread(g, alongAxis: axis, to: shape, scale: 1 / n)]
        }
    }

    /// The adjoint of a sum along an axis: repeats g over the reduced axis, times `scale`.
    private static func spread(_ g: Tensor<Scalar>, alongAxis axis: Int, to shape: [Int], scale: Scalar) -> Tensor<Scalar> {
        let (rows, columns) = (shape[0], shape[1])
        var out = [Scalar](repeating: 0, count: rows * columns)
        for i in 0..<rows {
            for j in 0..<columns { out[i * columns + j] = scale * (axis == 0 ? g.scalars[j] : g.scalars[i]) }
        }
        return Tensor(shape: shape, scalars: out)
    }

    /// reshape: the same elements with another shape of equal count.
    /// Pullback: ∂x = ȳ reshaped back.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func reshaped(_ newShape: [Int]) -> Variable {
        let shape = self.shape
        precondition(newShape.reduce(1, *) == value.count, "reshaped: cannot view shape \(shape) as \(newShape)")
        return tape.record(value.reshaped(newShape), op: "reshape", inputs: [self]) { g, _ in [g.reshaped(shape)] }
    }

    /// transpose: yᵢⱼ = xⱼᵢ for a matrix.
    /// Pullback: ∂x = ȳᵀ.
    public var transposed: Variable {
        tape.record(value.transposed, op: "transpose", inputs: [self]) { g, _ in [g.transposed] }
    }
}

extension Variable {
    /// max: y = maxᵢ xᵢ (rank 0).
    /// Pullback: ∂x = ȳ at the first position of the maximum, 0 elsewhere (a subgradient: on
    /// ties only the first maximal element receives the gradient).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func max() -> Variable { extremum(alongAxis: nil, greatest: true) }

    /// min: y = minᵢ xᵢ (rank 0).
    /// Pullback: ∂x = ȳ at the first position of the minimum, 0 elsewhere.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func min() -> Variable { extremum(alongAxis: nil, greatest: false) }

    /// max along an axis, which is removed from the shape (any rank): for a matrix and axis 1,
    /// yᵢ = maxⱼ xᵢⱼ.
    /// Pullback: ∂x = ȳ at the first arg-max along the axis of each result, 0 elsewhere.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func max(alongAxis axis: Int) -> Variable { extremum(alongAxis: axis, greatest: true) }

    /// min along an axis, which is removed from the shape (any rank).
    /// Pullback: ∂x = ȳ at the first arg-min along the axis of each result, 0 elsewhere.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func min(alongAxis axis: Int) -> Variable { extremum(alongAxis: axis, greatest: false) }

    /// The four max/min ops: the value and where it came from, and a pullback that puts each
    /// upstream element back at that position.
    private func extremum(alongAxis axis: Int?, greatest: Bool) -> Variable {
        let shape = self.shape
        let (values, positions) = value.extremum(alongAxis: axis, greatest: greatest)
        let name = (greatest ? "max" : "min") + (axis.map { "(axis: \($0))" } ?? "")
        return tape.record(values, op: name, inputs: [self]) { g, _ in
            var dx = [Scalar](repeating: 0, count: shape.reduce(1, *))
            let (length, inner) = axis.map { (shape[$0], Kernels.axisView(shape, axis: $0).inner) } ?? (shape.reduce(1, *), 1)
            for (r, k) in positions.enumerated() {
                let (o, i) = r.quotientAndRemainder(dividingBy: inner)
                dx[(o * length + k) * inner + i] = g.scalars[r]
            }
            return [Tensor(shape: shape, scalars: dx)]
        }
    }
}
