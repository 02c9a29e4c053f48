/// A sparse matrix in compressed sparse row (CSR) form: the shape of rating data.
///
/// Row `i` holds the entries `rowPointers[i] ..< rowPointers[i + 1]` of `columnIndices` and
/// `values`, with columns strictly increasing within a row. For AutoRec a row is one training
/// instance (an item's ratings by all users, or a user's ratings of all items); the entries
/// present are the observed ratings, and the structure doubles as the pattern at which the
/// decoder is evaluated (see ``sampledMatmul(_:_:transposeB:at:)``).
///
/// Column indices are `Int32` because they dominate the memory of large rating sets (100M
/// ratings: 400 MB instead of 800 MB); no rating matrix has 2³¹ columns.
public struct SparseMatrix<Scalar: TensorScalar>: Sendable {
    /// What to do when the same (row, column) appears more than once in the input triples.
    public enum DuplicatePolicy: Sendable {
        /// Add the values (the convention of SciPy and of the sum of sparse matrices).
        case sum
        /// Keep the value that comes last in the input.
        case keepLast
    }

    /// The number of rows.
    public let rows: Int
    /// The number of columns.
    public let columns: Int
    /// `rows + 1` offsets into `columnIndices` and `values`; the first is 0, the last the entry count.
    public let rowPointers: [Int]
    /// The column of each stored entry, increasing within each row.
    public let columnIndices: [Int32]
    /// The value of each stored entry.
    public var values: [Scalar]

    /// The structure of the transpose, when computed ahead by ``cachingTranspose()``.
    public private(set) var transposeCache: TransposedStructure?

    /// The number of stored entries.
    public var nonzeroCount: Int { columnIndices.count }

    /// Creates a matrix from its CSR arrays, checking every invariant.
    public init(rows: Int, columns: Int, rowPointers: [Int], columnIndices: [Int32], values: [Scalar]) {
        precondition(rows >= 0 && columns >= 0 && columns <= Int(Int32.max),
                     "SparseMatrix: bad shape \(rows)×\(columns)")
        precondition(rowPointers.count == rows + 1 && rowPointers.first == 0 && rowPointers.last == columnIndices.count,
                     "SparseMatrix: rowPointers must have \(rows + 1) offsets from 0 to \(columnIndices.count)")
        precondition(values.count == columnIndices.count,
                     "SparseMatrix: \(values.count) values for \(columnIndices.count) column indices")
        for r in 0..<rows {
            let (start, end) = (rowPointers[r], rowPointers[r + 1])
            precondition(start <= end, "SparseMatrix: rowPointers decrease at row \(r)")
            var previous: Int32 = -1
            for p in start..<end {
                let c = columnIndices[p]
                precondition(c > previous && Int(c) < columns,
                             "SparseMatrix: row \(r) has column \(c) out of order or outside 0..<\(columns)")
                previous = c
            }
        }
        self.rows = rows
        self.columns = columns
        self.rowPointers = rowPointers
        self.columnIndices = columnIndices
        self.values = values
    }

    /// Creates a matrix from (row, column, value) triples in any order.
    /// Duplicated positions are resolved by `duplicates` (default: summed).
    public init(rows: Int, columns: Int, rowIndices: [Int], columnIndices: [Int], values: [Scalar],
                duplicates: DuplicatePolicy = .sum) {
        precondition(rowIndices.count == columnIndices.count && columnIndices.count == values.count,
                     "SparseMatrix: triples arrays have lengths \(rowIndices.count), \(columnIndices.count), \(values.count)")
        // Counting sort by row, stable, then sort each row by column (stable), so "last" is
        // well defined and the cost is O(n + rows + Σ row log row).
        var counts = [Int](repeating: 0, count: rows + 1)
        for (i, r) in rowIndices.enumerated() {
            precondition(r >= 0 && r < rows && columnIndices[i] >= 0 && columnIndices[i] < columns,
                         "SparseMatrix: entry \(i) at (\(r), \(columnIndices[i])) is outside \(rows)×\(columns)")
            counts[r + 1] += 1
        }
        for r in 0..<rows { counts[r + 1] += counts[r] }
        var order = [Int](repeating: 0, count: values.count)
        var next = counts
        for (i, r) in rowIndices.enumerated() { order[next[r]] = i; next[r] += 1 }
        var pointers = [Int](repeating: 0, count: rows + 1)
        var cols = [Int32](); cols.reserveCapacity(values.count)
        var vals = [Scalar](); vals.reserveCapacity(values.count)
        for r in 0..<rows {
            var entries = order[counts[r]..<counts[r + 1]].map { (column: columnIndices[$0], index: $0) }
            entries.sort { $0.column != $1.column ? $0.column < $1.column : $0.index < $1.index }
            var last = -1
            for e in entries {
                if e.column == last {
                    switch duplicates {
                    case .sum: vals[vals.count - 1] += values[e.index]
                    case .keepLast: vals[vals.count - 1] = values[e.index]
                    }
                } else {
                    cols.append(Int32(e.column)); vals.append(values[e.index]); last = e.column
                }
            }
            pointers[r + 1] = cols.count
        }
        self.init(uncheckedRows: rows, columns: columns, rowPointers: pointers, columnIndices: cols, values: vals)
    }

    /// Creates a matrix from arrays already known to be valid (produced by this type).
    init(uncheckedRows rows: Int, columns: Int, rowPointers: [Int], columnIndices: [Int32], values: [Scalar]) {
        self.rows = rows
        self.columns = columns
        self.rowPointers = rowPointers
        self.columnIndices = columnIndices
        self.values = values
    }

    /// The nonzero entries of a dense matrix (exact zeros are not stored).
    public init(dense: Tensor<Scalar>) {
        precondition(dense.rank == 2, "SparseMatrix(dense:): needs a matrix, got shape \(dense.shape)")
        var pointers = [0], cols = [Int32](), vals = [Scalar]()
        for r in 0..<dense.shape[0] {
            for c in 0..<dense.shape[1] where dense[r, c] != 0 {
                cols.append(Int32(c)); vals.append(dense[r, c])
            }
            pointers.append(cols.count)
        }
        self.init(uncheckedRows: dense.shape[0], columns: dense.shape[1], rowPointers: pointers,
                  columnIndices: cols, values: vals)
    }

    /// The transpose, also in CSR form (so it is the CSC form of this matrix). O(entries + columns).
    ///
    /// Pullbacks of the sparse ops use it to turn scattered writes into row-parallel gathers.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func transposed() -> SparseMatrix {
        let t = transposedStructure()
        return SparseMatrix(uncheckedRows: columns, columns: rows, rowPointers: t.rowPointers, columnIndices: t.columnIndices,
                            values: t.permuting(values))
    }

    /// The same matrix carrying the structure of its transpose, so that the sparse ops'
    /// pullbacks do not recompute it on every training step (the pattern of a rating set is
    /// fixed for the whole training run).
    public func cachingTranspose() -> SparseMatrix {
        var copy = self
        copy.transposeCache = transposeCache ?? transposedStructure()
        return copy
    }

    /// The structure of the transpose: cached if available, computed otherwise (one counting
    /// pass over the entries; specialised, because the generic version of this loop made
    /// setting up the Netflix-sized matrix take tens of seconds).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func transposedStructure() -> TransposedStructure {
        if let cache = transposeCache { return cache }
        var counts = [Int](repeating: 0, count: columns + 1)
        for c in columnIndices { counts[Int(c) + 1] += 1 }
        for c in 0..<columns { counts[c + 1] += counts[c] }
        var next = counts
        var cols = [Int32](repeating: 0, count: nonzeroCount)
        var permutation = [Int](repeating: 0, count: nonzeroCount)
        for r in 0..<rows {
            for p in rowPointers[r]..<rowPointers[r + 1] {
                let c = Int(columnIndices[p])
                cols[next[c]] = Int32(r)
                permutation[next[c]] = p
                next[c] += 1
            }
        }
        return TransposedStructure(rowPointers: counts, columnIndices: cols, permutation: permutation)
    }

    /// For each entry of ``transposed()``, the index of the same entry in this matrix: the
    /// permutation that carries per-entry values (such as gradients of sampled outputs) into
    /// the transposed order.
    public func transposePermutation() -> [Int] {
        transposedStructure().permutation
    }

    /// The matrix made of the given rows, in the given order (a mini-batch).
    public func selectingRows(_ indices: [Int]) -> SparseMatrix {
        var pointers = [0], cols = [Int32](), vals = [Scalar]()
        pointers.reserveCapacity(indices.count + 1)
        for r in indices {
            precondition(r >= 0 && r < rows, "SparseMatrix.selectingRows: row \(r) outside 0..<\(rows)")
            cols.append(contentsOf: columnIndices[rowPointers[r]..<rowPointers[r + 1]])
            vals.append(contentsOf: values[rowPointers[r]..<rowPointers[r + 1]])
            pointers.append(cols.count)
        }
        return SparseMatrix(uncheckedRows: indices.count, columns: columns, rowPointers: pointers,
                            columnIndices: cols, values: vals)
    }

    /// The same structure with other values (one per stored entry).
    public func replacingValues(_ newValues: [Scalar]) -> SparseMatrix {
        precondition(newValues.count == nonzeroCount,
                     "SparseMatrix.replacingValues: \(newValues.count) values for \(nonzeroCount) entries")
        var copy = self
        copy.values = newValues
        return copy
    }

    /// The stored values as a vector (the targets of a loss over the observed entries).
    public var valuesTensor: Tensor<Scalar> { Tensor(values) }

    /// The dense matrix; for tests and small data only (the whole point of this type is to
    /// never build it for real rating sets).
    public func toDense() -> Tensor<Scalar> {
        var dense = Tensor<Scalar>.zeros([rows, columns])
        for r in 0..<rows {
            for p in rowPointers[r]..<rowPointers[r + 1] { dense[r, Int(columnIndices[p])] = values[p] }
        }
        return dense
    }
}

/// The CSR structure of a matrix's transpose and the permutation from the matrix's entry order
/// to the transpose's; immutable and shared between copies.
public final class TransposedStructure: Sendable {
    /// Row offsets of the transpose (one row per column of the original).
    public let rowPointers: [Int]
    /// Column indices of the transpose (the original's row of each entry).
    public let columnIndices: [Int32]
    /// `permutation[q]` is the original index of the transpose's entry q.
    public let permutation: [Int]

    /// Wraps precomputed arrays.
    public init(rowPointers: [Int], columnIndices: [Int32], permutation: [Int]) {
        self.rowPointers = rowPointers
        self.columnIndices = columnIndices
        self.permutation = permutation
    }

    /// Per-entry values of the original matrix (rating values, gradients of sampled outputs)
    /// in the transpose's entry order, scaled by `scale`: `out[q] = values[permutation[q]] · scale`.
    /// The transposed products read their values through this copy, made once per product (one
    /// pass of random reads), instead of through the permutation inside the kernel, where the
    /// indirection cost a quarter of the product's time. The multiplication by 1 is exact.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func permuting<S: TensorScalar>(_ values: [S], scale: S = 1) -> [S] {
        precondition(values.count == permutation.count,
                     "TransposedStructure.permuting: \(values.count) values for \(permutation.count) entries")
        return [S](unsafeUninitializedCapacity: values.count) { out, initialized in
            values.withUnsafeBufferPointer { v in
                permutation.withUnsafeBufferPointer { perm in
                    Parallelism.forChunks(perm.count, grain: 1 << 16) { range in
                        for q in range { out[q] = v[perm[q]] * scale }
                    }
                }
            }
            initialized = values.count
        }
    }
}
