import TapeGrad
import TapeGradLayers

/// How ratings are shifted before they enter an AutoRec model (as inputs and as targets); the
/// shift is added back to the model's outputs.
///
/// Why: an AutoRec input is sparse, and an unobserved entry is a 0. With raw ratings that 0 reads
/// as "the worst rating, far below 1", so an instance's hidden code depends on how MANY ratings it
/// has as much as on what they are. Subtracting a baseline makes the 0 of an unobserved entry
/// mean "as expected", and the network learns residuals around the baseline.
public enum InputCentering: String, Sendable, Codable, CaseIterable {
    /// Raw ratings (the paper's model).
    case none
    /// Subtract the mean training rating.
    case global
    /// Subtract each instance's mean training rating (the item's mean for I-AutoRec, the user's
    /// for U-AutoRec), shrunk toward the global mean by ``InstanceMatrix/shrinkage`` pseudo-ratings
    /// so that an instance with one or two ratings does not get an extreme baseline.
    case instance
}

/// Rating data arranged for an AutoRec model: one sparse row per instance (per item for
/// I-AutoRec, per user for U-AutoRec), in Float, with the structure of its transpose cached
/// because training reuses it every epoch. The values are the ratings minus the
/// ``InputCentering`` baseline (``offsets``), which is added back to reconstructions.
public struct InstanceMatrix: Sendable {
    /// Instances × inputs, observed ratings only, minus each row's offset.
    public let matrix: SparseMatrix<Float>
    /// Which index of a rating is the instance (row).
    public let kind: AutoRecKind
    /// How the values were shifted.
    public let centering: InputCentering
    /// The value subtracted from each row's ratings (all zero without centering); a prediction
    /// for an entry of row r is the model's output plus `offsets[r]`.
    public let offsets: [Float]

    /// Pseudo-ratings at the global mean that ``InputCentering/instance`` adds to every
    /// instance's mean (a Bayesian shrinkage; a generic small prior, not tuned to a data set).
    public static let shrinkage: Double = 5

    /// Arranges a rating set's ratings by instance, shifted by `centering`'s baseline computed on
    /// these ratings.
    public init(_ ratings: RatingSet, kind: AutoRecKind, centering: InputCentering = .none) {
        let csr = ratings.compressedRows(by: kind == .item ? .item : .user)
        let offsets: [Double]
        switch centering {
        case .none:
            offsets = [Double](repeating: 0, count: csr.rowCount)
        case .global:
            offsets = [Double](repeating: ratings.mean, count: csr.rowCount)
        case .instance:
            let mean = ratings.mean, prior = InstanceMatrix.shrinkage
            offsets = (0..<csr.rowCount).map { r in
                let range = csr.rowPointers[r]..<csr.rowPointers[r + 1]
                return (csr.values[range].reduce(0, +) + prior * mean) / (Double(range.count) + prior)
            }
        }
        var values = [Float](repeating: 0, count: csr.values.count)
        for r in 0..<csr.rowCount {
            for p in csr.rowPointers[r]..<csr.rowPointers[r + 1] { values[p] = Float(csr.values[p] - offsets[r]) }
        }
        matrix = SparseMatrix(rows: csr.rowCount, columns: csr.columnCount, rowPointers: csr.rowPointers,
                              columnIndices: csr.columnIndices, values: values).cachingTranspose()
        self.kind = kind
        self.centering = centering
        self.offsets = offsets.map(Float.init)
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

/// User–item pairs to predict, arranged once: which pairs are warm (``WarmPairs``) and the
/// query pattern of the warm ones. Prediction and validation share it, so both apply the
/// protocol the same way: reconstruct from the training rows into ``WarmPredictions``, then
/// ``WarmPairs/finish(_:scale:)``.
struct PairQuery {
    /// Which pairs are warm.
    let pairs: WarmPairs
    /// The warm pairs as a pattern over the instance matrix.
    let queries: QueryPattern

    /// Arranges pairs of user and item indices; indices outside the maps (e.g. -1 for ids the
    /// model has never seen) count as cold.
    init(users: [Int32], items: [Int32], ratingsPerUser perUser: [Int32], ratingsPerItem perItem: [Int32],
         inputs: InstanceMatrix) {
        self.init(WarmPairs(users: users, items: items, ratingsPerUser: perUser, ratingsPerItem: perItem),
                  users: users, items: items, inputs: inputs)
    }

    /// Arranges the warm ones of `pairs` (made from these users and items) over `inputs`.
    init(_ pairs: WarmPairs, users: [Int32], items: [Int32], inputs: InstanceMatrix) {
        self.pairs = pairs
        let warm = pairs.indices
        let (rows, columns) = InstanceMatrix.rowsAndColumns(users: warm.map { users[$0] }, items: warm.map { items[$0] },
                                                            kind: inputs.kind)
        queries = QueryPattern(rows: rows, columns: columns, rowCount: inputs.matrix.rows, columnCount: inputs.matrix.columns)
    }

    /// The unclipped predictions of the warm pairs: the mean of the ensemble members' outputs
    /// plus the centering offsets. Blends and averages are formed on these, so that clipping
    /// happens once, at the end.
    func predictions(model: AutoRec, ensemble: [Parameters<Float>], inputs: InstanceMatrix) -> WarmPredictions {
        guard !pairs.indices.isEmpty else { return WarmPredictions([]) }
        // Computed in the pattern's order (CSR by instance), then put in warm order.
        var values = model.reconstruct(inputs: inputs.matrix, at: queries.pattern, parameters: ensemble[0])
        for member in ensemble.dropFirst() {
            let more = model.reconstruct(inputs: inputs.matrix, at: queries.pattern, parameters: member)
            for p in values.indices { values[p] += more[p] }
        }
        if ensemble.count > 1 {
            let share = 1 / Float(ensemble.count)
            for p in values.indices { values[p] *= share }
        }
        // Undo the centering: each entry's row offset.
        let pattern = queries.pattern
        for r in 0..<pattern.rows where inputs.offsets[r] != 0 {
            for p in pattern.rowPointers[r]..<pattern.rowPointers[r + 1] { values[p] += inputs.offsets[r] }
        }
        var warmOrder = [Float](repeating: 0, count: values.count)
        for (p, v) in values.enumerated() { warmOrder[queries.order[p]] = v }
        return WarmPredictions(warmOrder)
    }
}
