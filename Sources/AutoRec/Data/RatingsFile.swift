/// The three MovieLens rating layouts, detected from a file's first data line.
public enum RatingsFormat: String, Sendable, Equatable, CaseIterable {
    /// ML-100K `u.data`, `u1.base`, ...: `user item rating [timestamp]` separated by tabs or spaces.
    case whitespace
    /// ML-1M / ML-10M `ratings.dat`: `user::item::rating[::timestamp]`.
    case doubleColon
    /// ml-latest `ratings.csv`: `userId,movieId,rating[,timestamp]`, usually after a header line.
    case csv
}

/// Reading explicit ratings from MovieLens files.
///
/// All three layouts (``RatingsFormat``) are accepted and told apart by content, not by file name:
/// a first data line containing `::` is `ratings.dat`, one containing `,` is CSV, otherwise fields
/// are separated by runs of tabs/spaces. Ratings may be fractional (half stars). A UTF-8 byte-order
/// mark, CRLF line ends, blank lines and a missing or present final newline are all accepted.
/// A first line whose fields all start with a letter (like `userId,movieId,rating,timestamp`) is a
/// header and skipped. The timestamp is optional, checked to be an integer and not kept.
///
/// Policies:
/// - Ids are non-negative integers kept as `Int64` and mapped through ``IdMap`` (sorted by raw id),
///   so huge ids cost nothing extra.
/// - A rating must be finite and in `(0, 100]`. Zero is refused because AutoRec's input encodes
///   "unobserved" as 0; anything above 100 is almost surely a shifted column (a timestamp or id).
/// - Duplicate (user, item) pairs: the **last** occurrence in the file wins (a later line is taken
///   as a correction); the number of dropped lines is ``RatingSet/duplicatesRemoved``.
/// - Any other problem stops reading with a ``DataFileError`` naming file and line.
///
/// Speed: the bytes are memory-mapped and parsed in place with no per-line allocation; only
/// unusual lines (errors, `+`/exponent numbers, trailing spaces) take a slower general path.
public enum RatingsFile {
    /// The longest ratings line accepted, in bytes (64 KiB). A real line holds four numbers; a
    /// longer one is refused with ``DataFileError/Kind/lineTooLong`` before it is copied or
    /// split, so a corrupt file with megabytes on one line fails at once.
    public static let maximumLineLength = 1 << 16

    /// Reads the ratings file at `path` into a ``RatingSet`` with sorted id maps.
    ///
    /// - Throws: ``DataFileError`` for unreadable files, directories, empty or header-only files
    ///   and any malformed line.
    public static func read(_ path: String) throws -> RatingSet {
        try parseFile(path).finish()
    }

    /// Parses ratings held in memory; `name` stands in for the path in error messages.
    public static func parse(_ bytes: [UInt8], name: String) throws -> RatingSet {
        try bytes.withUnsafeBufferPointer { try RatingsParser.parse($0, name: name) }.finish()
    }

    /// The layout of the file at `path`, as ``read(_:)`` would detect it.
    public static func detectFormat(_ path: String) throws -> RatingsFormat {
        let file = try FileBytes.read(path)
        return try RatingsParser.parse(file.buffer, name: path, detectOnly: true).format
    }

    /// Parses a file without building the final id maps (used by the two-file split).
    static func parseFile(_ path: String) throws -> ParsedRatings {
        let file = try FileBytes.read(path)
        return try RatingsParser.parse(file.buffer, name: path)
    }
}

/// A parsed file before id mapping: indices are in first-appearance order of the raw ids.
struct ParsedRatings {
    var format: RatingsFormat
    var users: [Int32]
    var items: [Int32]
    var values: [Float]
    /// Raw user ids in first-appearance order (`userIds[users[k]]` is the raw id of rating k).
    var userIds: [Int64]
    /// Raw item ids in first-appearance order.
    var itemIds: [Int64]

    /// Sorted id maps, indices rewritten, duplicates removed.
    func finish() -> RatingSet {
        let (userMap, userRemap) = sortedIdMap(userIds)
        let (itemMap, itemRemap) = sortedIdMap(itemIds)
        return finish(userMap: userMap, userRemap: userRemap, itemMap: itemMap, itemRemap: itemRemap)
    }

    /// Rewrites indices through `remap` tables into the given maps and removes duplicates.
    func finish(userMap: IdMap, userRemap: [Int32]?, itemMap: IdMap, itemRemap: [Int32]?) -> RatingSet {
        var u = users, i = items, v = values
        if let userRemap { applyRemap(&u, userRemap) }
        if let itemRemap { applyRemap(&i, itemRemap) }
        let dups = removeDuplicatePairs(users: &u, items: &i, values: &v,
                                        userCount: userMap.count, itemCount: itemMap.count)
        return RatingSet(unchecked: userMap, items: itemMap, userIndices: u, itemIndices: i, values: v,
                         duplicatesRemoved: dups)
    }
}

/// An id map sorted by raw id, and the table old (first-appearance) index → new index
/// (`nil` when the ids already appeared in ascending order).
func sortedIdMap(_ ids: [Int64]) -> (IdMap, [Int32]?) {
    var ascending = true
    for k in ids.indices.dropFirst() where ids[k] < ids[k - 1] { ascending = false; break }
    if ascending { return (IdMap(rawIds: ids), nil) }
    let order = ids.indices.sorted { ids[$0] < ids[$1] }
    var remap = [Int32](repeating: 0, count: ids.count)
    for (new, old) in order.enumerated() { remap[old] = Int32(new) }
    return (IdMap(rawIds: order.map { ids[$0] }), remap)
}

/// `indices[k] = remap[indices[k]]` for all k.
func applyRemap(_ indices: inout [Int32], _ remap: [Int32]) {
    remap.withUnsafeBufferPointer { r in
        indices.withUnsafeMutableBufferPointer { a in
            for k in a.indices { a[k] = r[Int(a[k])] }
        }
    }
}
