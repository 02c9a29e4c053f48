// Tensor-level indexing: the forward computations of gather, concatenation and slicing (Ops/
// Indexing.swift), usable directly without a tape, e.g. to cut a mini-batch out of a data matrix.

extension Tensor {
    /// The rows (slices along axis 0) at `indices`, in that order, repeats allowed: shape
    /// `[indices.count] + shape[1...]`. A mini-batch of a data matrix from the indices of
    /// `shuffledBatches`, or an embedding lookup without a tape; on a vector, the elements at
    /// the indices. The tape version is ``gather(_:at:)``.
    @_specialize(where Scalar == Float, Index == Int)
    @_specialize(where Scalar == Double, Index == Int)
    @_specialize(where Scalar == Float, Index == Int32)
    @_specialize(where Scalar == Double, Index == Int32)
    public func selectingRows<Index: BinaryInteger>(_ indices: [Index]) -> Tensor {
        selectingRows(indices, op: "selectingRows")
    }

    /// ``selectingRows(_:)`` with the op's name for its precondition message.
    @inline(__always)
    func selectingRows<Index: BinaryInteger>(_ indices: [Index], op: String) -> Tensor {
        precondition(rank >= 1, "\(op): needs a tensor of rank 1 or more, got shape \(shape)")
        let width = shape.dropFirst().reduce(1, *)
        let outShape = [indices.count] + shape.dropFirst()
        let result = [Scalar](unsafeUninitializedCapacity: indices.count * width) { out, initialized in
            indices.withUnsafeBufferPointer { ids in
                Kernels.checkRowIndices(ids, rows: shape[0], op: op, shape: shape)
                scalars.withUnsafeBufferPointer { src in
                    if let base = src.baseAddress, let dst = out.baseAddress {
                        Kernels.gatherRows(base, width: width, indices: ids, into: dst)
                    }
                }
            }
            initialized = indices.count * width
        }
        return Tensor(shape: outShape, scalars: result)
    }

    /// The positions `range` along `axis`, every other axis whole: `x[:, range]` for axis 1 of a
    /// matrix. The tape version is ``Variable/slicing(_:alongAxis:)``.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func slicing(_ range: Range<Int>, alongAxis axis: Int) -> Tensor {
        precondition(axis >= 0 && axis < rank, "slicing: axis \(axis) of a tensor of shape \(shape)")
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis],
                     "slicing: range \(range) outside 0..<\(shape[axis]) along axis \(axis) of shape \(shape)")
        var outShape = shape
        outShape[axis] = range.count
        let (outer, inner) = Kernels.axisView(shape, axis: axis)
        let total = outShape.reduce(1, *)
        let result = [Scalar](unsafeUninitializedCapacity: total) { out, initialized in
            scalars.withUnsafeBufferPointer { src in
                if total > 0 {
                    Kernels.copyAxisBlock(src.baseAddress!, sourceAxis: shape[axis], sourceOffset: range.lowerBound,
                                          into: out.baseAddress!, destinationAxis: range.count, destinationOffset: 0,
                                          length: range.count, outer: outer, inner: inner)
                }
            }
            initialized = total
        }
        return Tensor(shape: outShape, scalars: result)
    }

    /// This tensor placed at positions `offset..<offset + shape[axis]` along `axis` of a
    /// zero tensor of `fullShape`: the adjoint of ``slicing(_:alongAxis:)``.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func padding(to fullShape: [Int], alongAxis axis: Int, at offset: Int) -> Tensor {
        var result = [Scalar](repeating: 0, count: fullShape.reduce(1, *))
        let (outer, inner) = Kernels.axisView(fullShape, axis: axis)
        scalars.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                if count > 0 {
                    Kernels.copyAxisBlock(src.baseAddress!, sourceAxis: shape[axis], sourceOffset: 0,
                                          into: dst.baseAddress!, destinationAxis: fullShape[axis], destinationOffset: offset,
                                          length: shape[axis], outer: outer, inner: inner)
                }
            }
        }
        return Tensor(shape: fullShape, scalars: result)
    }
}

/// The tensors joined along `axis`: all have the same rank and the same extent on every other
/// axis, and the result's extent on `axis` is the sum of theirs (`torch.cat`). Axis 1 of
/// matrices puts them side by side (features of two branches), axis 0 stacks their rows.
/// The tape version is `concatenate(_:alongAxis:)` on variables.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func concatenate<Scalar>(_ tensors: [Tensor<Scalar>], alongAxis axis: Int) -> Tensor<Scalar> {
    precondition(!tensors.isEmpty, "concatenate: needs at least one tensor")
    let first = tensors[0].shape
    precondition(axis >= 0 && axis < first.count, "concatenate: axis \(axis) of shape \(first)")
    var outShape = first
    outShape[axis] = 0
    for t in tensors {
        precondition(t.rank == first.count && (0..<first.count).allSatisfy { $0 == axis || t.shape[$0] == first[$0] },
                     "concatenate: shapes \(first) and \(t.shape) differ outside axis \(axis)")
        outShape[axis] += t.shape[axis]
    }
    let (outer, inner) = Kernels.axisView(first, axis: axis)
    let total = outShape.reduce(1, *)
    let result = [Scalar](unsafeUninitializedCapacity: total) { out, initialized in
        var offset = 0
        for t in tensors {
            t.scalars.withUnsafeBufferPointer { src in
                if t.count > 0 {
                    Kernels.copyAxisBlock(src.baseAddress!, sourceAxis: t.shape[axis], sourceOffset: 0,
                                          into: out.baseAddress!, destinationAxis: outShape[axis], destinationOffset: offset,
                                          length: t.shape[axis], outer: outer, inner: inner)
                }
            }
            offset += t.shape[axis]
        }
        initialized = total
    }
    return Tensor(shape: outShape, scalars: result)
}
