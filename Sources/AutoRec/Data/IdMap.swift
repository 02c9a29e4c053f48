/// A two-way map between raw ids as they appear in data files and dense indices `0..<count`.
///
/// Models work on dense indices (rows and columns of a sparse matrix), while output and
/// recommendations must speak the file's ids again; this type keeps both directions.
/// Raw ids are kept as `Int64` and never used as array offsets, so an id like 10^12 costs the
/// same memory as the id 1: the reverse direction is an open-addressing hash table sized by the
/// number of distinct ids (or, when the ids form one consecutive run such as MovieLens'
/// `1...943`, plain arithmetic without any table).
///
/// Index order: maps built by the readers are sorted by raw id (ascending), so the same data in a
/// different line order gives the same indices, and MovieLens' ids `1...n` map to `0..<n`. When a
/// test file introduces ids unknown to the training file they are appended after the training ids
/// (again sorted among themselves); see ``RatingSplit``.
public struct IdMap: Sendable, Equatable, CustomStringConvertible {
    /// The raw id of every dense index: `rawIds[index]` is the id written in the file.
    public let rawIds: [Int64]
    /// The reverse lookup (raw id → index); `nil` when `rawIds` is one consecutive run.
    private let table: IdHashTable?

    /// Creates a map whose index `k` stands for `rawIds[k]`.
    ///
    /// The ids must be distinct, because an id with two indices would split one user's ratings
    /// over two rows; duplicates are a programming error and stop the program.
    public init(rawIds: [Int64]) {
        self.rawIds = rawIds
        if IdMap.isConsecutiveRun(rawIds) {
            table = nil
        } else {
            var t = IdHashTable(minimumCapacity: rawIds.count)
            for (k, id) in rawIds.enumerated() {
                let inserted = t.insert(id, value: Int32(truncatingIfNeeded: k))
                precondition(inserted, "IdMap: raw id \(id) appears twice")
            }
            table = t
        }
    }

    /// A map for the consecutive ids `first ..< first + count`, as used by generated data.
    ///
    /// Needs no hash table, so it is cheap even for millions of ids.
    public init(consecutiveFrom first: Int64, count: Int) {
        precondition(count >= 0, "IdMap: negative count \(count)")
        self.rawIds = (0..<count).map { first + Int64($0) }
        self.table = nil
    }

    /// The number of distinct ids (and of dense indices).
    public var count: Int { rawIds.count }

    /// The dense index of a raw id, or `nil` if the id never appeared (for example a user
    /// that only exists in another file).
    @inline(__always)
    public func index(of rawId: Int64) -> Int? {
        if let table {
            return table.find(rawId).map { Int($0) }
        }
        guard let first = rawIds.first else { return nil }
        // Subtraction cannot overflow in the valid direction; guard against the far ones.
        if rawId < first { return nil }
        let (offset, overflow) = rawId.subtractingReportingOverflow(first)
        if overflow || offset >= Int64(rawIds.count) { return nil }
        return Int(offset)
    }

    /// The raw id written in the file for a dense index (for output and recommendations).
    @inline(__always)
    public func rawId(at index: Int) -> Int64 { rawIds[index] }

    /// Whether the ids are `first, first+1, ...`: then no hash table is needed at all.
    private static func isConsecutiveRun(_ ids: [Int64]) -> Bool {
        guard let first = ids.first else { return true }
        for (k, id) in ids.enumerated() where id != first &+ Int64(k) { return false }
        // Guard against wrap-around at Int64.max.
        return ids.last! >= first
    }

    /// Two maps are equal when they assign the same indices to the same ids.
    public static func == (lhs: IdMap, rhs: IdMap) -> Bool { lhs.rawIds == rhs.rawIds }

    /// A short summary, e.g. `IdMap(943 ids, 1...943)`, for logs.
    public var description: String {
        guard let first = rawIds.first else { return "IdMap(empty)" }
        return "IdMap(\(count) ids, first \(first), last \(rawIds.last!))"
    }
}

/// Open-addressing hash table from non-negative `Int64` keys to `Int32` values.
///
/// Swift's `Dictionary` hashes with SipHash, which costs more than the rest of parsing a line;
/// ids are non-negative, so `-1` can mark empty slots and a Fibonacci multiplicative hash with
/// linear probing is enough (ids are not adversarial; the table is never fuller than 1/2).
struct IdHashTable: Sendable {
    private(set) var keys: [Int64]
    private(set) var values: [Int32]
    private(set) var shift: UInt64
    private(set) var count = 0

    init(minimumCapacity: Int) {
        var size = 16
        while size < 2 * minimumCapacity { size <<= 1 }
        keys = [Int64](repeating: -1, count: size)
        values = [Int32](repeating: 0, count: size)
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    @inline(__always)
    static func slot(_ key: Int64, shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (UInt64(bitPattern: key) &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    func find(_ key: Int64) -> Int32? {
        if key < 0 { return nil }
        let mask = keys.count - 1
        var s = IdHashTable.slot(key, shift: shift)
        while true {
            let k = keys[s]
            if k == key { return values[s] }
            if k == -1 { return nil }
            s = (s + 1) & mask
        }
    }

    /// Inserts a new key; returns false (and changes nothing) if the key is already present.
    mutating func insert(_ key: Int64, value: Int32) -> Bool {
        precondition(key >= 0, "IdHashTable: negative key \(key)")
        if 2 * (count + 1) > keys.count { grow() }
        let mask = keys.count - 1
        var s = IdHashTable.slot(key, shift: shift)
        while true {
            let k = keys[s]
            if k == key { return false }
            if k == -1 {
                keys[s] = key
                values[s] = value
                count += 1
                return true
            }
            s = (s + 1) & mask
        }
    }

    private mutating func grow() {
        var bigger = IdHashTable(minimumCapacity: keys.count)
        for (k, v) in zip(keys, values) where k != -1 { _ = bigger.insert(k, value: v) }
        self = bigger
    }
}

/// Assigns first-appearance indices to raw ids while a file is parsed.
///
/// A class with raw storage, because it sits in the innermost loop of the parser (two lookups per
/// line) where array copy-on-write checks and bounds checks would cost more than the hashing.
/// It is local to one parse and never shared between threads.
final class IdInterner {
    /// Key and value side by side, so a lookup touches one cache line.
    private struct Slot {
        var key: Int64
        var value: Int64
    }
    private var slots: UnsafeMutablePointer<Slot>
    private var capacity: Int
    private var shift: UInt64
    /// Raw ids in first-appearance order: `ids[k]` received index `k`.
    private(set) var ids: [Int64] = []

    init(expected: Int = 1024) {
        var size = 16
        while size < 2 * expected { size <<= 1 }
        capacity = size
        shift = UInt64(64 - size.trailingZeroBitCount)
        slots = .allocate(capacity: size)
        slots.initialize(repeating: Slot(key: -1, value: 0), count: size)
    }

    deinit {
        slots.deallocate()
    }

    var count: Int { ids.count }

    /// The index of `key`, giving it the next free index if it is new. `key` must be ≥ 0.
    @inline(__always)
    func index(_ key: Int64) -> Int32 {
        let mask = capacity &- 1
        var s = IdHashTable.slot(key, shift: shift)
        while true {
            let slot = slots[s]
            if slot.key == key { return Int32(truncatingIfNeeded: slot.value) }
            if slot.key == -1 { return insert(key, slot: s) }
            s = (s &+ 1) & mask
        }
    }

    @inline(never)
    private func insert(_ key: Int64, slot: Int) -> Int32 {
        precondition(ids.count < Int(Int32.max), "more than 2^31 - 1 distinct ids")
        let value = Int32(ids.count)
        slots[slot] = Slot(key: key, value: Int64(value))
        ids.append(key)
        if 2 * ids.count > capacity { grow() }
        return value
    }

    private func grow() {
        let old = slots, oldCapacity = capacity
        capacity *= 2
        shift -= 1
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Slot(key: -1, value: 0), count: capacity)
        let mask = capacity - 1
        for j in 0..<oldCapacity where old[j].key != -1 {
            var s = IdHashTable.slot(old[j].key, shift: shift)
            while slots[s].key != -1 { s = (s + 1) & mask }
            slots[s] = old[j]
        }
        old.deallocate()
    }
}
