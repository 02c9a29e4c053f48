import TapeGrad

/// Rating data arranged for an AutoRec model: one sparse row per instance (per item for
/// I-AutoRec, per user for U-AutoRec), in Float, with the structure of its transpose cached
/// because training reuses it every epoch.
public struct InstanceMatrix: Sendable {
    /// Instances × inputs, observed ratings only.
    public let matrix: SparseMatrix<Float>
    /// Which index of a rating is the instance (row).
    public let kind: AutoRecKind

    /// Arranges a rating set's ratings by instance.
    public init(_ ratings: RatingSet, kind: AutoRecKind) {
        let csr = ratings.compressedRows(by: kind == .item ? .item : .user)
        matrix = SparseMatrix(rows: csr.rowCount, columns: csr.columnCount, rowPointers: csr.rowPointers,
                              columnIndices: csr.columnIndices, values: csr.values.map(Float.init)).cachingTranspose()
        self.kind = kind
    }

    /// The instance (row) and input (column) indices of user–item pairs.
    public static func rowsAndColumns(users: [Int32], items: [Int32], kind: AutoRecKind) -> (rows: [Int32], columns: [Int32]) {
        kind == .item ? (items, users) : (users, items)
    }
}

/// A set of (row, column) queries arranged as a sparse pattern, remembering where each query
/// came from, so that predictions computed in the pattern's order can be put back in the
/// caller's order.
public struct QueryPattern: Sendable {
    /// The queries as a pattern (values unused: zero).
    public let pattern: SparseMatrix<Float>
    /// `order[p]` is the caller's index of the pattern's entry p.
    public let order: [Int]

    /// Arranges queries; pairs must be distinct. O(count + rows + columns): two stable counting
    /// sorts (by column, then by row), no comparison sort.
    public init(rows: [Int32], columns: [Int32], rowCount: Int, columnCount: Int) {
        precondition(rows.count == columns.count, "QueryPattern: \(rows.count) rows for \(columns.count) columns")
        let n = rows.count
        func countingSort(_ keys: [Int32], _ keyCount: Int, _ input: [Int]) -> ([Int], [Int]) {
            var starts = [Int](repeating: 0, count: keyCount + 1)
            for i in input { starts[Int(keys[i]) + 1] += 1 }
            for k in 0..<keyCount { starts[k + 1] += starts[k] }
            let pointers = starts
            var output = [Int](repeating: 0, count: input.count)
            for i in input { output[starts[Int(keys[i])]] = i; starts[Int(keys[i])] += 1 }
            return (output, pointers)
        }
        let (byColumn, _) = countingSort(columns, columnCount, Array(0..<n))
        let (byRow, rowPointers) = countingSort(rows, rowCount, byColumn)
        pattern = SparseMatrix(rows: rowCount, columns: columnCount, rowPointers: rowPointers,
                               columnIndices: byRow.map { columns[$0] }, values: [Float](repeating: 0, count: n))
        order = byRow
    }
}
