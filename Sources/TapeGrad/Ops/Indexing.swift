// Ops that move elements without arithmetic: gather (embedding lookup), concatenation and
// slicing. Each pullback moves the upstream gradient back to where the elements came from.

/// gather (row gather, embedding lookup): y[p, …] = x[iₚ, …], the rows (slices along axis 0)
/// of x at the indices, in order, repeats allowed; y has shape `[indices.count] + x.shape[1...]`.
/// For a table of shape [rows, dim] and a batch of ids this is the embedding lookup
/// (`torch.nn.functional.embedding`, `index_select(0, ids)`); for a vector it is yₚ = x[iₚ],
/// e.g. a bias looked up at the columns of the observed entries of a sparse pattern.
/// An index outside `0..<x.shape[0]` traps, naming the op, the index and the shape.
///
/// Pullback: ∂x[i, …] = Σ_{p: iₚ = i} ȳ[p, …] (scatter-add; repeated ids sum). The scatter
/// costs O(indices × row size); the gradient itself is dense and table-sized, so it is
/// zero-filled first (O(table)), and the optimizers then update every row (a sparse gradient
/// that touches only the looked-up rows is out of scope).
@_specialize(where Scalar == Float, Index == Int)
@_specialize(where Scalar == Double, Index == Int)
@_specialize(where Scalar == Float, Index == Int32)
@_specialize(where Scalar == Double, Index == Int32)
public func gather<Scalar, Index: BinaryInteger>(_ x: Variable<Scalar>, at indices: [Index]) -> Variable<Scalar> {
    let shape = x.shape
    return x.tape.record(x.value.selectingRows(indices, op: "gather"), op: "gather", inputs: [x]) { g, _ in
        var dx = [Scalar](repeating: 0, count: shape.reduce(1, *))
        let width = shape.dropFirst().reduce(1, *)
        indices.withUnsafeBufferPointer { ids in
            g.scalars.withUnsafeBufferPointer { src in
                dx.withUnsafeMutableBufferPointer { dst in
                    if width > 0, !ids.isEmpty {
                        Kernels.scatterAddRows(src.baseAddress!, width: width, indices: ids, into: dst.baseAddress!)
                    }
                }
            }
        }
        return [Tensor(shape: shape, scalars: dx)]
    }
}

extension Variable {
    /// The rows of this variable at `indices`: the same op as ``gather(_:at:)``, named like
    /// ``Tensor/selectingRows(_:)`` and `SparseMatrix.selectingRows(_:)`.
    @_specialize(where Scalar == Float, Index == Int)
    @_specialize(where Scalar == Double, Index == Int)
    @_specialize(where Scalar == Float, Index == Int32)
    @_specialize(where Scalar == Double, Index == Int32)
    public func selectingRows<Index: BinaryInteger>(_ indices: [Index]) -> Variable {
        gather(self, at: indices)
    }

    /// slice: y = x[…, range, …], the positions `range` along `axis` with every other axis
    /// whole (`torch.narrow`); `x.slicing(0..<8, alongAxis: 1)` is `x[:, 0:8]` of a matrix.
    /// Pullback: ∂x = ȳ placed at `range` along `axis`, zero elsewhere.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func slicing(_ range: Range<Int>, alongAxis axis: Int) -> Variable {
        let shape = self.shape
        return tape.record(value.slicing(range, alongAxis: axis), op: "slice(axis: \(axis), \(range))", inputs: [self]) { g, _ in
            [g.padding(to: shape, alongAxis: axis, at: range.lowerBound)]
        }
    }
}

/// concatenate: y = [x₁, x₂, …] joined along `axis` (`torch.cat`): every input has the same
/// rank and the same extent on every other axis; y's extent on `axis` is the sum of theirs.
/// Axis 1 of matrices puts features side by side (NeuMF's concatenated embeddings), axis 0
/// stacks rows.
/// Pullback: ∂xₖ = ȳ sliced along `axis` at xₖ's positions.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func concatenate<Scalar>(_ xs: [Variable<Scalar>], alongAxis axis: Int) -> Variable<Scalar> {
    precondition(!xs.isEmpty, "concatenate: needs at least one variable")
    var ranges = [Range<Int>]()
    var offset = 0
    for x in xs {
        precondition(axis >= 0 && axis < x.value.rank, "concatenate: axis \(axis) of shape \(x.shape)")
        ranges.append(offset..<offset + x.shape[axis])
        offset += x.shape[axis]
    }
    let y = concatenate(xs.map { $0.value }, alongAxis: axis)
    return xs[0].tape.record(y, op: "concatenate(axis: \(axis))", inputs: xs) { g, needed in
        ranges.enumerated().map { k, range in needed[k] ? g.slicing(range, alongAxis: axis) : nil }
    }
}
