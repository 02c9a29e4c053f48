import TapeGrad
import TapeGradLayers

/// Training ratings arranged for a ``RatingModel``: shuffled training batches, and query
/// batches that read the same training ratings (a model's input rows at prediction time are
/// always the training rows, never held-out ratings).
public struct RatingBatches<Scalar: TensorScalar>: Sendable {
    /// The ratings batches are made of.
    public let ratings: RatingSet
    /// What each query carries.
    public let input: RatingModelInput
    /// Subtracted from every rating the model sees (targets and input rows) and added back to
    /// its predictions: the training mean lets a model learn residuals around it instead of
    /// first climbing from 0 to the mean (see ``RatingRegressionOptions/centered``).
    public let offset: Scalar
    /// `.rows` input: the instance rows of ``ratings`` (CSR by the input's axis); nil for `.pairs`.
    public let rows: SparseMatrix<Scalar>?
    /// The instances with at least one rating (`.rows` input): the rows training batches draw.
    private let ratedInstances: [Int]

    /// Arranges `ratings`, minus `offset`, for a model that reads `input`.
    public init(_ ratings: RatingSet, input: RatingModelInput, offset: Double = 0) {
        self.ratings = ratings
        self.input = input
        let offset = Scalar(offset)
        self.offset = offset
        guard case .rows(let axis) = input else {
            rows = nil
            ratedInstances = []
            return
        }
        let csr = ratings.compressedRows(by: axis)
        let matrix = SparseMatrix(rows: csr.rowCount, columns: csr.columnCount, rowPointers: csr.rowPointers,
                                  columnIndices: csr.columnIndices, values: csr.values.map { Scalar($0) - offset })
        rows = matrix
        ratedInstances = (0..<matrix.rows).filter { matrix.rowPointers[$0 + 1] > matrix.rowPointers[$0] }
    }

    /// The batches of one epoch, shuffled with `seed` and `epoch`: `size` ratings each
    /// (`.pairs`), or `size` instances with all their ratings each (`.rows`; instances without
    /// ratings are skipped). The last batch may be smaller.
    public func training(size: Int, seed: UInt64, epoch: Int) -> [RatingBatch<Scalar>] {
        switch input {
        case .pairs:
            return shuffledBatches(count: ratings.count, size: size, seed: seed, epoch: epoch).map { positions in
                RatingBatch(users: positions.map { ratings.userIndices[$0] }, items: positions.map { ratings.itemIndices[$0] },
                            targets: positions.map { Scalar(ratings.values[$0]) - offset })
            }
        case .rows(let axis):
            let rows = self.rows!
            return shuffledBatches(count: ratedInstances.count, size: size, seed: seed, epoch: epoch).map { positions in
                let chosen = positions.map { ratedInstances[$0] }
                let selected = rows.selectingRows(chosen)
                return RatingBatch(instances: chosen.map { Int32($0) }, rows: selected, pattern: selected, axis: axis)
            }
        }
    }

    /// User–item queries in batches of about `size` queries (`.pairs`) or `size` instances
    /// (`.rows`), each with the caller's index of every query in batch order. Every pair must
    /// be warm for ``ratings`` (see ``WarmPairs``) and, for `.rows`, pairs must be distinct.
    public func queries(users: [Int32], items: [Int32], size: Int) -> [(batch: RatingBatch<Scalar>, positions: [Int])] {
        precondition(users.count == items.count, "RatingBatches.queries: \(users.count) users for \(items.count) items")
        let size = max(size, 1)
        switch input {
        case .pairs:
            return stride(from: 0, to: users.count, by: size).map { start in
                let range = start..<min(start + size, users.count)
                return (RatingBatch(users: Array(users[range]), items: Array(items[range]),
                                    targets: [Scalar](repeating: 0, count: range.count)), Array(range))
            }
        case .rows(let axis):
            let rows = self.rows!
            let (instances, columns) = axis == .user ? (users, items) : (items, users)
            let queries = QueryPattern(rows: instances, columns: columns, rowCount: rows.rows, columnCount: rows.columns)
            let pattern = queries.pattern
            let asked = (0..<pattern.rows).filter { pattern.rowPointers[$0 + 1] > pattern.rowPointers[$0] }
            return stride(from: 0, to: asked.count, by: size).map { start in
                let chosen = Array(asked[start..<min(start + size, asked.count)])
                let positions = chosen.flatMap { r in (pattern.rowPointers[r]..<pattern.rowPointers[r + 1]).map { queries.order[$0] } }
                let batchPattern = pattern.selectingRows(chosen)
                let zeroPattern = SparseMatrix<Scalar>(rows: batchPattern.rows, columns: batchPattern.columns,
                                                       rowPointers: batchPattern.rowPointers,
                                                       columnIndices: batchPattern.columnIndices,
                                                       values: [Scalar](repeating: 0, count: batchPattern.nonzeroCount))
                return (RatingBatch(instances: chosen.map { Int32($0) }, rows: rows.selectingRows(chosen),
                                    pattern: zeroPattern, axis: axis), positions)
            }
        }
    }
}
