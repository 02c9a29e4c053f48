import TapeGrad
import TapeGradLayers

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

/// User–item pairs to predict, arranged once: which pairs are warm (user and item both have
/// training ratings) and the query pattern of the warm ones. Prediction and validation share it,
/// so both apply the protocol the same way: reconstruct from the training rows, clip to the
/// scale, and give cold pairs the scale's midpoint.
struct PairQuery {
    /// The number of pairs asked for.
    let count: Int
    /// The caller's indices of the warm pairs.
    let warm: [Int]
    /// The warm pairs as a pattern over the instance matrix.
    let queries: QueryPattern

    /// Arranges pairs of user and item indices; indices outside the maps (e.g. -1 for ids the
    /// model has never seen) count as cold.
    init(users: [Int32], items: [Int32], ratingsPerUser perUser: [Int32], ratingsPerItem perItem: [Int32],
         inputs: InstanceMatrix) {
        precondition(users.count == items.count, "PairQuery: \(users.count) users for \(items.count) items")
        count = users.count
        warm = (0..<users.count).filter { k in
            let (u, i) = (Int(users[k]), Int(items[k]))
            return u >= 0 && i >= 0 && u < perUser.count && i < perItem.count && perUser[u] > 0 && perItem[i] > 0
        }
        let (rows, columns) = InstanceMatrix.rowsAndColumns(users: warm.map { users[$0] }, items: warm.map { items[$0] },
                                                            kind: inputs.kind)
        queries = QueryPattern(rows: rows, columns: columns, rowCount: inputs.matrix.rows, columnCount: inputs.matrix.columns)
    }

    /// The predictions in the caller's order: the mean of the ensemble members' raw outputs,
    /// clipped to `scale`; the midpoint for cold pairs.
    func predictions(model: AutoRec, ensemble: [Parameters<Float>], inputs: InstanceMatrix, scale: RatingScale) -> [Float] {
        var result = [Float](repeating: Float(scale.midpoint), count: count)
        guard !warm.isEmpty else { return result }
        var values = model.reconstruct(inputs: inputs.matrix, at: queries.pattern, parameters: ensemble[0])
        for member in ensemble.dropFirst() {
            let more = model.reconstruct(inputs: inputs.matrix, at: queries.pattern, parameters: member)
            for p in values.indices { values[p] += more[p] }
        }
        if ensemble.count > 1 {
            let share = 1 / Float(ensemble.count)
            for p in values.indices { values[p] *= share }
        }
        let (low, high) = (Float(scale.minimum), Float(scale.maximum))
        for (p, v) in values.enumerated() { result[warm[queries.order[p]]] = min(max(v, low), high) }
        return result
    }
}
