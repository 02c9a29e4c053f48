/// The smallest and largest rating of a data set.
///
/// AutoRec's protocol clips predictions to the rating range (an unclipped identity output easily
/// predicts 5.7 or 0.2), so the range travels with the data instead of being hard-coded as 1...5:
/// ml-latest uses half stars from 0.5.
public struct RatingScale: Sendable, Equatable, CustomStringConvertible {
    /// The smallest rating observed.
    public var minimum: Double
    /// The largest rating observed.
    public var maximum: Double

    /// Creates a scale; `minimum` must not exceed `maximum`.
    public init(minimum: Double, maximum: Double) {
        precondition(minimum <= maximum, "RatingScale: minimum \(minimum) > maximum \(maximum)")
        self.minimum = minimum
        self.maximum = maximum
    }

    /// `value` clipped into `minimum...maximum`, as the protocol does with predictions.
    @inline(__always)
    public func clamp(_ value: Double) -> Double { Swift.min(Swift.max(value, minimum), maximum) }

    /// The middle of the scale (3 for 1...5), a natural default prediction.
    public var midpoint: Double { (minimum + maximum) / 2 }

    /// `minimum...maximum`, for logs.
    public var description: String { "\(minimum)...\(maximum)" }
}

/// Which index of a rating becomes the row of a sparse matrix.
///
/// U-AutoRec uses one instance per user (rows by user), I-AutoRec one per item (rows by item).
public enum RatingAxis: Sendable, Equatable {
    /// Rows are users, columns are items.
    case user
    /// Rows are items, columns are users.
    case item
}

/// A sparse matrix in compressed-sparse-row form, as plain arrays.
///
/// The core's CSR type is built from these arrays, so the data layer does not depend on it.
/// Row `r` holds the entries `rowPointers[r] ..< rowPointers[r + 1]` of `columnIndices` and
/// `values`; columns are strictly increasing within a row.
public struct CSRArrays: Sendable, Equatable {
    /// The number of rows (users or items, empty ones included).
    public var rowCount: Int
    /// The number of columns.
    public var columnCount: Int
    /// `rowCount + 1` offsets into `columnIndices` / `values`; the last is the entry count.
    public var rowPointers: [Int]
    /// The column of each entry, sorted within each row.
    public var columnIndices: [Int32]
    /// The rating of each entry.
    public var values: [Double]

    /// Creates CSR arrays; the caller guarantees the invariants listed on the type.
    public init(rowCount: Int, columnCount: Int, rowPointers: [Int], columnIndices: [Int32], values: [Double]) {
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.rowPointers = rowPointers
        self.columnIndices = columnIndices
        self.values = values
    }
}

/// Explicit ratings as three parallel arrays of dense indices and values, with the id maps.
///
/// This is the form every later stage starts from: splits select positions, the model converts it
/// to CSR by user or by item, and output maps indices back through ``users`` / ``items``.
/// A set holds at most one rating per (user, item) pair. The number of users and items is the size
/// of the id maps, which may include users or items without any rating in this particular set
/// (for example test-only users in a training set, see ``RatingSplit``).
/// Ratings are stored as `Float` (4 bytes; exact for integer and half-star ratings) to keep
/// 100M ratings at 12 bytes each.
public struct RatingSet: Sendable {
    /// Raw user id ↔ dense user index.
    public let users: IdMap
    /// Raw item id ↔ dense item index.
    public let items: IdMap
    /// The user index of each rating.
    public let userIndices: [Int32]
    /// The item index of each rating.
    public let itemIndices: [Int32]
    /// The value of each rating.
    public let values: [Float]
    /// How many input ratings were dropped because a later line rated the same (user, item)
    /// pair again (the last occurrence wins). 0 for sets not read from files.
    public let duplicatesRemoved: Int

    /// Creates a set from parallel arrays, checking lengths, index ranges and values.
    ///
    /// Pairs must be unique; this is not checked here (it costs a pass over a user-sorted copy),
    /// the readers and generators guarantee it.
    public init(users: IdMap, items: IdMap, userIndices: [Int32], itemIndices: [Int32], values: [Float],
                duplicatesRemoved: Int = 0) {
        precondition(userIndices.count == itemIndices.count && itemIndices.count == values.count,
                     "RatingSet: arrays of different lengths")
        let userCount = users.count, itemCount = items.count
        for k in userIndices.indices {
            precondition(userIndices[k] >= 0 && Int(userIndices[k]) < userCount, "RatingSet: user index out of range")
            precondition(itemIndices[k] >= 0 && Int(itemIndices[k]) < itemCount, "RatingSet: item index out of range")
            precondition(values[k].isFinite, "RatingSet: non-finite rating")
        }
        self.init(unchecked: users, items: items, userIndices: userIndices, itemIndices: itemIndices,
                  values: values, duplicatesRemoved: duplicatesRemoved)
    }

    /// Creates a set without validation, for producers that guarantee the invariants.
    init(unchecked users: IdMap, items: IdMap, userIndices: [Int32], itemIndices: [Int32], values: [Float],
         duplicatesRemoved: Int) {
        self.users = users
        self.items = items
        self.userIndices = userIndices
        self.itemIndices = itemIndices
        self.values = values
        self.duplicatesRemoved = duplicatesRemoved
    }

    /// The number of ratings.
    public var count: Int { values.count }
    /// Whether the set holds no rating.
    public var isEmpty: Bool { values.isEmpty }
    /// The number of users (size of the user id map, users without ratings here included).
    public var userCount: Int { users.count }
    /// The number of items (size of the item id map, items without ratings here included).
    public var itemCount: Int { items.count }

    /// The smallest and largest rating in this set, `nil` when it is empty.
    public var scale: RatingScale? {
        guard var lo = values.first else { return nil }
        var hi = lo
        for v in values {
            lo = Swift.min(lo, v)
            hi = Swift.max(hi, v)
        }
        return RatingScale(minimum: Double(lo), maximum: Double(hi))
    }

    /// The mean rating (0 for an empty set): the global-mean baseline every model must beat.
    public var mean: Double {
        guard !values.isEmpty else { return 0 }
        var sum = 0.0
        for v in values { sum += Double(v) }
        return sum / Double(values.count)
    }

    /// The number of ratings of each user (length ``userCount``).
    public func ratingsPerUser() -> [Int32] { Self.histogram(userIndices, size: userCount) }

    /// The number of ratings of each item (length ``itemCount``).
    public func ratingsPerItem() -> [Int32] { Self.histogram(itemIndices, size: itemCount) }

    static func histogram(_ indices: [Int32], size: Int) -> [Int32] {
        var counts = [Int32](repeating: 0, count: size)
        counts.withUnsafeMutableBufferPointer { c in
            for i in indices { c[Int(i)] &+= 1 }
        }
        return counts
    }

    /// The ratings as a CSR matrix with one row per user (`.user`) or per item (`.item`).
    ///
    /// Columns are sorted within each row. No global comparison sort: O(count + rows + columns)
    /// scatter passes, picked by the input order:
    /// - rows already ascending (a file grouped by that axis): copy, then sort only rows whose
    ///   columns are out of order (each row on its own, short);
    /// - columns ascending (e.g. item rows from a file sorted by user): one stable scatter by row;
    /// - otherwise two stable scatter passes (by column into a temporary copy, then by row).
    public func compressedRows(by axis: RatingAxis) -> CSRArrays {
        let rowsIdx = axis == .user ? userIndices : itemIndices
        let colsIdx = axis == .user ? itemIndices : userIndices
        let rowCount = axis == .user ? userCount : itemCount
        let columnCount = axis == .user ? itemCount : userCount
        let n = count

        var rowPointers = [Int](repeating: 0, count: rowCount + 1)
        rowsIdx.withUnsafeBufferPointer { rows in
            rowPointers.withUnsafeMutableBufferPointer { ptr in
                for r in rows { ptr[Int(r) + 1] &+= 1 }
                for r in 0..<rowCount { ptr[r + 1] &+= ptr[r] }
            }
        }
        func ascending(_ a: UnsafeBufferPointer<Int32>) -> Bool {
            var k = 1
            while k < a.count {
                if a[k] < a[k - 1] { return false }
                k += 1
            }
            return true
        }
        var columns: [Int32] = []
        let out: [Double] = rowsIdx.withUnsafeBufferPointer { rows in
        colsIdx.withUnsafeBufferPointer { cols in
        values.withUnsafeBufferPointer { vals in
        rowPointers.withUnsafeBufferPointer { ptr in
            /// One stable scatter of (row, col, val) triples, visited in order, by row.
            func scatter(_ rowOf: (Int) -> Int32, _ colOf: (Int) -> Int32, _ valOf: (Int) -> Float,
                         _ cOut: UnsafeMutableBufferPointer<Int32>, _ vOut: UnsafeMutableBufferPointer<Double>) {
                var next = Array(ptr.dropLast())
                next.withUnsafeMutableBufferPointer { next in
                    for k in 0..<n {
                        let r = Int(rowOf(k))
                        let dst = next[r]
                        next[r] = dst &+ 1
                        cOut[dst] = colOf(k)
                        vOut[dst] = Double(valOf(k))
                    }
                }
            }
            var result: [Double] = []
            columns = largeArray(count: n) { (cOut: UnsafeMutableBufferPointer<Int32>) in
            result = largeArray(count: n) { (vOut: UnsafeMutableBufferPointer<Double>) in
                if ascending(rows) {
                    for k in 0..<n {
                        cOut[k] = cols[k]
                        vOut[k] = Double(vals[k])
                    }
                    for r in 0..<rowCount {
                        let lo = ptr[r], hi = ptr[r + 1]
                        var sorted = true
                        var k = lo + 1
                        while k < hi {
                            if cOut[k] <= cOut[k - 1] { sorted = false; break }
                            k += 1
                        }
                        if sorted { continue }
                        // Sort (column, value) pairs of this row by column.
                        var pairs = (lo..<hi).map { (cOut[$0], vOut[$0]) }
                        pairs.sort { $0.0 < $1.0 }
                        for (j, pair) in pairs.enumerated() {
                            cOut[lo + j] = pair.0
                            vOut[lo + j] = pair.1
                        }
                    }
                } else if ascending(cols) {
                    scatter({ rows[$0] }, { cols[$0] }, { vals[$0] }, cOut, vOut)
                } else {
                    // Pass 1: stable counting sort of whole triples by column.
                    var start = [Int](repeating: 0, count: columnCount + 1)
                    for c in cols { start[Int(c) + 1] &+= 1 }
                    for c in 0..<columnCount { start[c + 1] &+= start[c] }
                    var tmpRows: [Int32] = largeArray(count: n) { _ in }
                    var tmpCols: [Int32] = largeArray(count: n) { _ in }
                    var tmpVals: [Float] = largeArray(count: n) { _ in }
                    tmpRows.withUnsafeMutableBufferPointer { tr in
                    tmpCols.withUnsafeMutableBufferPointer { tc in
                    tmpVals.withUnsafeMutableBufferPointer { tv in
                    start.withUnsafeMutableBufferPointer { next in
                        for k in 0..<n {
                            let c = Int(cols[k])
                            let dst = next[c]
                            next[c] = dst &+ 1
                            tr[dst] = rows[k]
                            tc[dst] = cols[k]
                            tv[dst] = vals[k]
                        }
                        // Pass 2: stable scatter by row; columns arrive in increasing order.
                        scatter({ tr[$0] }, { tc[$0] }, { tv[$0] }, cOut, vOut)
                    }}}}
                }
            }}
            return result
        }}}}
        return CSRArrays(rowCount: rowCount, columnCount: columnCount, rowPointers: rowPointers,
                         columnIndices: columns, values: out)
    }
}

/// Removes repeated (user, item) pairs in place, keeping the last occurrence of each pair.
///
/// Ratings are grouped by user (directly when the file is already grouped, otherwise through a
/// stable counting sort of positions) and a per-item stamp array detects repeats within a user,
/// so the cost is O(n + users + items) with no hashing of pairs.
/// Returns the number of removed ratings; the surviving ratings keep their file order.
func removeDuplicatePairs(users: inout [Int32], items: inout [Int32], values: inout [Float],
                          userCount: Int, itemCount: Int) -> Int {
    let n = users.count
    guard n > 1 else { return 0 }
    var stamp = [Int32](repeating: -1, count: itemCount)
    var holder = [Int32](repeating: 0, count: itemCount)
    var removed = [UInt64](repeating: 0, count: (n + 63) / 64)
    var duplicates = 0

    users.withUnsafeBufferPointer { us in
    items.withUnsafeBufferPointer { its in
    stamp.withUnsafeMutableBufferPointer { stamp in
    holder.withUnsafeMutableBufferPointer { holder in
    removed.withUnsafeMutableBufferPointer { removed in
        @inline(__always) func visit(_ k: Int) {
            let u = us[k], it = Int(its[k])
            if stamp[it] == u {
                let old = Int(holder[it])
                removed[old >> 6] |= 1 << UInt64(old & 63)
                duplicates += 1
            }
            stamp[it] = u
            holder[it] = Int32(truncatingIfNeeded: k)
        }
        // Grouped input: every user occupies one contiguous run.
        var seen = [Bool](repeating: false, count: userCount)
        var grouped = true
        var k = 0
        while k < n {
            let u = Int(us[k])
            if seen[u] { grouped = false; break }
            seen[u] = true
            while k < n && Int(us[k]) == u { k += 1 }
        }
        if grouped {
            for k in 0..<n { visit(k) }
            return
        }
        var start = [Int](repeating: 0, count: userCount + 1)
        for u in us { start[Int(u) + 1] &+= 1 }
        for u in 0..<userCount { start[u + 1] &+= start[u] }
        var order = [Int32](repeating: 0, count: n)
        order.withUnsafeMutableBufferPointer { order in
            for k in 0..<n {
                let u = Int(us[k])
                order[start[u]] = Int32(truncatingIfNeeded: k)
                start[u] &+= 1
            }
            for k in order { visit(Int(k)) }
        }
    }}}}}

    guard duplicates > 0 else { return 0 }
    var w = 0
    for k in 0..<n where removed[k >> 6] & (1 << UInt64(k & 63)) == 0 {
        users[w] = users[k]
        items[w] = items[k]
        values[w] = values[k]
        w += 1
    }
    users.removeLast(n - w)
    items.removeLast(n - w)
    values.removeLast(n - w)
    return duplicates
}
