// Loops that move whole rows or blocks: the forward and backward passes of gather (embedding
// lookup), concatenation and slicing. The inner loops copy or add contiguous runs of elements,
// which the compiler vectorises; nothing here does arithmetic beyond the scatter-add.

extension Kernels {
    /// Traps unless every index is a valid row of a table with `rows` rows, naming the op, the
    /// index and the table's shape: a bad id is a programming error of the caller (data ids are
    /// checked where the data is read), and reading past the table must never happen silently.
    /// `fatalError`, not `preconditionFailure`: optimised builds drop a precondition's message,
    /// and ids usually come from a user's data, so the message must survive `-c release`.
    @inline(__always)
    static func checkRowIndices<I: BinaryInteger>(_ indices: UnsafeBufferPointer<I>, rows: Int, op: String, shape: [Int]) {
        for i in indices where i < 0 || i >= rows {
            fatalError("\(op): id \(i) outside 0..<\(rows) for a table of shape \(shape)")
        }
    }

    /// `destination[p, :] = source[indices[p], :]` for rows of `width` elements. Indices must
    /// have been checked (``checkRowIndices(_:rows:op:shape:)``).
    @inline(__always)
    static func gatherRows<S: TensorScalar, I: BinaryInteger>(_ source: UnsafePointer<S>, width: Int,
                                                              indices: UnsafeBufferPointer<I>,
                                                              into destination: UnsafeMutablePointer<S>) {
        if width == 1 {  // a vector: the bias of every observed entry, millions of single elements
            for p in 0..<indices.count { destination[p] = source[Int(truncatingIfNeeded: indices[p])] }
            return
        }
        for p in 0..<indices.count {
            let row = source + Int(truncatingIfNeeded: indices[p]) * width
            let out = destination + p * width
            for j in 0..<width { out[j] = row[j] }
        }
    }

    /// `destination[indices[p], :] += source[p, :]` for rows of `width` elements: the adjoint of
    /// ``gatherRows(_:width:indices:into:)``. Repeated indices accumulate, in index order, so
    /// the result does not depend on anything but the inputs. Serial: two threads could add into
    /// the same row.
    @inline(__always)
    static func scatterAddRows<S: TensorScalar, I: BinaryInteger>(_ source: UnsafePointer<S>, width: Int,
                                                                  indices: UnsafeBufferPointer<I>,
                                                                  into destination: UnsafeMutablePointer<S>) {
        if width == 1 {
            for p in 0..<indices.count { destination[Int(truncatingIfNeeded: indices[p])] += source[p] }
            return
        }
        for p in 0..<indices.count {
            let row = destination + Int(truncatingIfNeeded: indices[p]) * width
            let input = source + p * width
            for j in 0..<width { row[j] += input[j] }
        }
    }

    /// Copies `length` positions of the middle axis of a tensor viewed as [outer, axis, inner]:
    /// for every outer index, positions `sourceOffset..<sourceOffset + length` of `source`
    /// (whose middle axis has `sourceAxis` positions) go to `destinationOffset…` of
    /// `destination` (middle axis `destinationAxis`). Concatenation, its split, slicing and
    /// the slice's adjoint are all this one copy with different offsets.
    @inline(__always)
    static func copyAxisBlock<S: TensorScalar>(_ source: UnsafePointer<S>, sourceAxis: Int, sourceOffset: Int,
                                               into destination: UnsafeMutablePointer<S>, destinationAxis: Int,
                                               destinationOffset: Int, length: Int, outer: Int, inner: Int) {
        let run = length * inner
        guard run > 0 else { return }
        for o in 0..<outer {
            let from = source + (o * sourceAxis + sourceOffset) * inner
            let to = destination + (o * destinationAxis + destinationOffset) * inner
            for j in 0..<run { to[j] = from[j] }
        }
    }

    /// A shape split around `axis` as [outer, axis, inner]: the products of the dimensions
    /// before and after it.
    static func axisView(_ shape: [Int], axis: Int) -> (outer: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[(axis + 1)...].reduce(1, *))
    }
}
