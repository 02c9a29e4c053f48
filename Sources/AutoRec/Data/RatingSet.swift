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
    /// Columns are sorted within each row. Cost: one counting pass, and either a direct copy (data
    /// already sorted by row then column) or two stable scatter passes (LSD radix by column, then
    /// by row), O(count + rows + columns), no comparison sort.
    public func compressedRows(by axis: RatingAxis) -> CSRArrays {
        let rowsIdx = axis == .user ? userIndices : itemIndices
        let colsIdx = axis == .user ? itemIndices : userIndices
        let rowCount = axis == .user ? userCount : itemCount
        let columnCount = axis == .user ? itemCount : userCount
        let n = count

        var rowPointers = [Int](repeating: 0, count: rowCount + 1)
        var columns = [Int32](repeating: 0, count: n)
        var out = [Double](repeating: 0, count: n)
        rowsIdx.withUnsafeBufferPointer { rows in
        colsIdx.withUnsafeBufferPointer { cols in
        values.withUnsafeBufferPointer { vals in
        rowPointers.withUnsafeMutableBufferPointer { ptr in
        columns.withUnsafeMutableBufferPointer { cOut in
        out.withUnsafeMutableBufferPointer { vOut in
            for r in rows { ptr[Int(r) + 1] &+= 1 }
            for r in 0..<rowCount { ptr[r + 1] &+= ptr[r] }

            // Already in row-major order with increasing columns (files sorted by user and item)?
            var sorted = true
            var k = 1
            while k < n {
                if rows[k] < rows[k - 1] || (rows[k] == rows[k - 1] && cols[k] <= cols[k - 1]) {
                    sorted = false
                    break
                }
                k += 1
            }
            if sorted {
                for k in 0..<n {
                    cOut[k] = cols[k]
                    vOut[k] = Double(vals[k])
                }
                return
            }

            // Pass 1: stable counting sort of positions by column.
            var colStart = [Int](repeating: 0, count: columnCount + 1)
            for c in cols { colStart[Int(c) + 1] &+= 1 }
            for c in 0..<columnCount { colStart[c + 1] &+= colStart[c] }
            var byColumn = [Int32](repeating: 0, count: n)
            byColumn.withUnsafeMutableBufferPointer { order in
                colStart.withUnsafeMutableBufferPointer { next in
                    for k in 0..<n {
                        let c = Int(cols[k])
                        order[next[c]] = Int32(truncatingIfNeeded: k)
                        next[c] &+= 1
                    }
                }
                // Pass 2: stable scatter by row; columns arrive in increasing order.
                var next = Array(ptr.dropLast())
                next.withUnsafeMutableBufferPointer { next in
                    for k in order {
                        let p = Int(k)
                        let r = Int(rows[p])
                        let dst = next[r]
                        next[r] = dst &+ 1
                        cOut[dst] = cols[p]
                        vOut[dst] = Double(vals[p])
                    }
                }
            }
        }}}}}}
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
