// The byte-level parser behind RatingsFile: memory in, parsed lines out, with no per-line
// allocation on the fast path.

/// How fields are separated; the hot loop is specialised for each rule.
protocol SeparatorRule {
    /// The position just after one separator starting at `p`, or nil if there is none.
    static func skip(_ p: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8>?
}

enum WhitespaceRule: SeparatorRule {
    @inline(__always)
    static func skip(_ p: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8>? {
        var q = p
        while q < end && (q.pointee == 9 || q.pointee == 32) { q += 1 }
        return q == p ? nil : q
    }
}

enum CommaRule: SeparatorRule {
    @inline(__always)
    static func skip(_ p: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8>? {
        p < end && p.pointee == 44 ? p + 1 : nil
    }
}

enum DoubleColonRule: SeparatorRule {
    @inline(__always)
    static func skip(_ p: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8>? {
        end - p >= 2 && p[0] == 58 && p[1] == 58 ? p + 2 : nil
    }
}

enum RatingsParser {
    private static let newline: UInt8 = 10
    private static let carriageReturn: UInt8 = 13

    /// Parses a whole file image. With `detectOnly`, stops after format detection.
    static func parse(_ buffer: UnsafeBufferPointer<UInt8>, name: String, detectOnly: Bool = false) throws -> ParsedRatings {
        guard let base = buffer.baseAddress, buffer.count > 0 else {
            throw DataFileError(file: name, line: nil, kind: .empty, message: "file is empty (no ratings)")
        }
        var p = base
        let end = base + buffer.count
        if buffer.count >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF { p += 3 }

        // First non-blank line: format detection and header.
        var line = 1
        var firstLine: [UInt8] = []
        while p < end {
            let (eol, next) = lineEnd(p, end)
            if eol - p > RatingsFile.maximumLineLength { throw lineTooLong(eol - p, name: name, line: line) }
            let content = trimmed(Array(UnsafeBufferPointer(start: p, count: eol - p)))
            if !content.isEmpty {
                firstLine = content
                break
            }
            p = next
            line += 1
        }
        guard p < end else {
            throw DataFileError(file: name, line: nil, kind: .empty, message: "file is empty (no ratings)")
        }
        if firstLine.contains(124) { throw titlesFile(name: name, line: line) }
        let format = try detect(firstLine, name: name, line: line)
        if detectOnly {
            return ParsedRatings(format: format, users: [], items: [], values: [], userIds: [], itemIds: [])
        }
        var hasHeader = false
        if isHeader(firstLine, format: format) {
            hasHeader = true
            p = lineEnd(p, end).next
            line += 1
        }
        let (eol, _) = lineEnd(p, end)
        if eol - p <= RatingsFile.maximumLineLength, looksLikeTitles(trimmed(Array(UnsafeBufferPointer(start: p, count: eol - p))), format: format) {
            throw titlesFile(name: name, line: line)
        }

        // At most one rating per line: newlines + 1 bounds the count.
        let capacity = countNewlines(p, end - p) + 1
        let userIds = IdInterner(expected: 1 << 12)
        let itemIds = IdInterner(expected: 1 << 12)
        var n = 0
        let context = LineContext(name: name, format: format, formatLine: line)
        let start = p, firstDataLine = line
        var items: [Int32] = []
        var values: [Float] = []
        let users = try [Int32](unsafeUninitializedCapacity: capacity) { ub, uCount in
            items = try [Int32](unsafeUninitializedCapacity: capacity) { ib, iCount in
                values = try [Float](unsafeUninitializedCapacity: capacity) { vb, vCount in
                    let out = Output(users: ub.baseAddress!, items: ib.baseAddress!, values: vb.baseAddress!)
                    switch format {
                    case .whitespace:
                        n = try loop(WhitespaceRule.self, start, end, firstDataLine, context, out, userIds, itemIds)
                    case .csv:
                        n = try loop(CommaRule.self, start, end, firstDataLine, context, out, userIds, itemIds)
                    case .doubleColon:
                        n = try loop(DoubleColonRule.self, start, end, firstDataLine, context, out, userIds, itemIds)
                    }
                    vCount = n
                }
                iCount = n
            }
            uCount = n
        }
        if n == 0 {
            if hasHeader {
                throw DataFileError(file: name, line: nil, kind: .headerOnly, message: "has a header line but no ratings")
            }
            throw DataFileError(file: name, line: nil, kind: .empty, message: "file is empty (no ratings)")
        }
        return ParsedRatings(format: format, users: users, items: items, values: values,
                             userIds: userIds.ids, itemIds: itemIds.ids)
    }

    struct Output {
        let users: UnsafeMutablePointer<Int32>
        let items: UnsafeMutablePointer<Int32>
        let values: UnsafeMutablePointer<Float>
    }

    struct LineContext {
        let name: String
        let format: RatingsFormat
        /// The line the format was detected from, quoted in separator errors.
        let formatLine: Int
    }

    /// The hot loop: strict fast parsing of ordinary lines, the general path for everything else.
    @inline(__always)
    private static func loop<S: SeparatorRule>(
        _ rule: S.Type, _ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ firstLine: Int,
        _ context: LineContext, _ out: Output, _ userIds: IdInterner, _ itemIds: IdInterner
    ) throws -> Int {
        var p = start
        var line = firstLine
        var n = 0
        var lastUser: Int64 = -1
        var lastUserIndex: Int32 = 0
        while p < end {
            var user: Int64 = 0, item: Int64 = 0, rating: Float = 0
            if let next = fastLine(S.self, p, end, &user, &item, &rating) {
                p = next
            } else {
                let (eol, next) = lineEnd(p, end)
                if eol - p > RatingsFile.maximumLineLength { throw lineTooLong(eol - p, name: context.name, line: line) }
                let bytes = Array(UnsafeBufferPointer(start: p, count: eol - p))
                p = next
                guard let parsed = try generalLine(bytes, line: line, context: context) else {
                    line += 1
                    continue
                }
                (user, item, rating) = parsed
            }
            if user != lastUser {
                lastUser = user
                lastUserIndex = userIds.index(user)
            }
            out.users[n] = lastUserIndex
            out.items[n] = itemIds.index(item)
            out.values[n] = rating
            n += 1
            line += 1
        }
        return n
    }

    private static func lineTooLong(_ length: Int, name: String, line: Int) -> DataFileError {
        DataFileError(file: name, line: line, kind: .lineTooLong,
                      message: "line is too long (\(length) bytes; at most \(RatingsFile.maximumLineLength) are accepted)")
    }

    /// Reads up to 18 decimal digits into `value`; returns how many were read.
    @inline(__always)
    private static func digits(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ value: inout Int64) -> Int {
        var count = 0
        while p < end {
            let d = p.pointee &- 48
            if d > 9 { break }
            value = value &* 10 &+ Int64(d)
            p += 1
            count += 1
        }
        return count
    }

    @inline(__always)
    private static func powerOfTen(_ k: Int) -> Double {
        switch k {
        case 1: return 10
        case 2: return 100
        case 3: return 1_000
        case 4: return 10_000
        case 5: return 100_000
        default:
            var x = 1.0
            for _ in 0..<k { x *= 10 }
            return x
        }
    }

    /// Parses one ordinary line (`digits SEP digits SEP decimal [SEP digits]`, optional CR) and
    /// returns the start of the next line, or nil to send the line to the general path.
    @inline(__always)
    private static func fastLine<S: SeparatorRule>(
        _ rule: S.Type, _ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>,
        _ user: inout Int64, _ item: inout Int64, _ rating: inout Float
    ) -> UnsafePointer<UInt8>? {
        var q = start
        var u: Int64 = 0
        let nu = digits(&q, end, &u)
        guard nu >= 1 && nu <= 18, var r = S.skip(q, end) else { return nil }
        q = r
        var i: Int64 = 0
        let ni = digits(&q, end, &i)
        guard ni >= 1 && ni <= 18, let r2 = S.skip(q, end) else { return nil }
        q = r2
        var mantissa: Int64 = 0
        let nr = digits(&q, end, &mantissa)
        guard nr >= 1 && nr <= 9 else { return nil }
        var value: Double
        if q < end && q.pointee == 46 {  // "."
            q += 1
            let nf = digits(&q, end, &mantissa)
            guard nf >= 1 && nf <= 6 else { return nil }
            value = Double(mantissa) / powerOfTen(nf)
        } else {
            value = Double(mantissa)
        }
        guard value > 0 && value <= 100 else { return nil }
        if q < end, let t = S.skip(q, end) {
            r = t
            var stamp: Int64 = 0
            let nt = digits(&r, end, &stamp)
            guard nt >= 1 && nt <= 18 else { return nil }
            q = r
        }
        if q < end && q.pointee == carriageReturn { q += 1 }
        if q < end {
            guard q.pointee == newline else { return nil }
            q += 1
        }
        user = u
        item = i
        rating = Float(value)
        return q
    }

    /// The end of the line starting at `p` (without CR/LF) and the start of the next line.
    static func lineEnd(_ p: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> (eol: UnsafePointer<UInt8>, next: UnsafePointer<UInt8>) {
        var q = p
        while q < end && q.pointee != newline { q += 1 }
        let next = q < end ? q + 1 : q
        var eol = q
        if eol > p && (eol - 1).pointee == carriageReturn { eol -= 1 }
        return (eol, next)
    }

    /// Counts LF bytes eight at a time (SWAR: exact zero-byte detection in a 64-bit word).
    static func countNewlines(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int {
        let raw = UnsafeRawPointer(p)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let pattern: UInt64 = ones &* UInt64(newline)
        var total = 0
        var k = 0
        while k + 8 <= count {
            let x = raw.loadUnaligned(fromByteOffset: k, as: UInt64.self) ^ pattern
            // High bit of each byte set iff that byte of x is zero.
            let t = ~(((x & low7) &+ low7) | x | low7)
            total &+= t.nonzeroBitCount
            k += 8
        }
        while k < count {
            if p[k] == newline { total += 1 }
            k += 1
        }
        return total
    }

    // MARK: General (slow) path

    private static func isBlank(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 13 }

    /// `bytes` without leading/trailing spaces, tabs and CRs.
    static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        var lo = 0, hi = bytes.count
        while lo < hi && isBlank(bytes[lo]) { lo += 1 }
        while hi > lo && isBlank(bytes[hi - 1]) { hi -= 1 }
        return Array(bytes[lo..<hi])
    }

    private static func containsDoubleColon(_ bytes: [UInt8]) -> Bool {
        bytes.indices.dropFirst().contains { bytes[$0] == 58 && bytes[$0 - 1] == 58 }
    }

    private static func detect(_ line: [UInt8], name: String, line number: Int) throws -> RatingsFormat {
        if containsDoubleColon(line) { return .doubleColon }
        if line.contains(44) { return .csv }
        if line.contains(9) || line.contains(32) { return .whitespace }
        throw DataFileError(file: name, line: number, kind: .unknownFormat,
                            message: "cannot detect the format from '\(text(line))': expected user, item and rating "
                                + "separated by tabs or spaces (u.data), '::' (ratings.dat) or ',' (ratings.csv)")
    }

    /// Whether a first data line is a titles file's (u.item, movies.dat, movies.csv) rather than
    /// a rating's: a `|` (u.item's separator, the genre lists of movies.dat and movies.csv) or
    /// text with letters where the item id belongs, after a numeric first field.
    private static func looksLikeTitles(_ line: [UInt8], format: RatingsFormat) -> Bool {
        if line.contains(124) { return true }
        let fields = split(line, format: format)
        guard fields.count >= 2, !fields[0].isEmpty, fields[0].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
        return fields[1].contains { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }
    }

    /// The error for a titles file given as ratings: what it is and what ratings look like.
    private static func titlesFile(name: String, line: Int) -> DataFileError {
        DataFileError(file: name, line: line, kind: .unknownFormat,
                      message: "this looks like a titles file (id|title|…, as u.item, movies.dat or movies.csv), not ratings: "
                          + "a ratings file has one rating per line: user id, item id, rating and an optional timestamp, "
                          + "separated by tabs or spaces (u.data), '::' (ratings.dat) or ',' (ratings.csv)")
    }

    /// A header is a first line whose fields all begin with a letter, `_` or a quote.
    private static func isHeader(_ line: [UInt8], format: RatingsFormat) -> Bool {
        let fields = split(line, format: format)
        return fields.count >= 2 && fields.allSatisfy { f in
            guard let c = f.first else { return false }
            return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c == 34
        }
    }

    /// Fields of a trimmed, non-empty line (fields trimmed of spaces for CSV and `::`).
    private static func split(_ line: [UInt8], format: RatingsFormat) -> [[UInt8]] {
        switch format {
        case .whitespace:
            return line.split(whereSeparator: { $0 == 9 || $0 == 32 }).map(Array.init)
        case .csv:
            return line.split(separator: 44, omittingEmptySubsequences: false).map { trimmed(Array($0)) }
        case .doubleColon:
            var fields: [[UInt8]] = []
            var current: [UInt8] = []
            var k = 0
            while k < line.count {
                if k + 1 < line.count && line[k] == 58 && line[k + 1] == 58 {
                    fields.append(trimmed(current))
                    current = []
                    k += 2
                } else {
                    current.append(line[k])
                    k += 1
                }
            }
            fields.append(trimmed(current))
            return fields
        }
    }

    /// Printable text of some bytes for messages (invalid UTF-8 shown with replacement marks).
    static func text<C: Collection<UInt8>>(_ bytes: C) -> String {
        let s = String(decoding: bytes, as: UTF8.self)
        return s.count > 40 ? String(s.prefix(40)) + "…" : s
    }

    private static func separatorName(_ b: UInt8) -> String {
        switch b {
        case 9: return "tab"
        case 32: return "space"
        default: return "'\(Character(Unicode.Scalar(b)))'"
        }
    }

    private static func describe(_ format: RatingsFormat) -> String {
        switch format {
        case .whitespace: return "tabs/spaces"
        case .csv: return "','"
        case .doubleColon: return "'::'"
        }
    }

    /// Parses one line with full checking; nil for a blank line.
    static func generalLine(_ raw: [UInt8], line: Int, context: LineContext) throws -> (Int64, Int64, Float)? {
        let name = context.name
        func fail(_ kind: DataFileError.Kind, _ message: String) -> DataFileError {
            DataFileError(file: name, line: line, kind: kind, message: message)
        }
        let content = trimmed(raw)
        if content.isEmpty { return nil }

        // Separators foreign to the detected format.
        let foreign: [UInt8]
        switch context.format {
        case .whitespace: foreign = [44, 58, 59, 124]       // , : ; |
        case .csv: foreign = [9, 58, 59, 124]               // tab : ; |
        case .doubleColon: foreign = [44, 9, 59, 124]       // , tab ; |
        }
        if let bad = content.first(where: { foreign.contains($0) }) {
            throw fail(.wrongSeparator, "unexpected separator \(separatorName(bad)); this file uses "
                       + "\(describe(context.format)) (detected from line \(context.formatLine))")
        }
        let fields = split(content, format: context.format)
        if context.format == .doubleColon, fields.contains(where: { $0.contains(58) }) {
            throw fail(.wrongSeparator, "unexpected single ':' separator; this file uses '::' "
                       + "(detected from line \(context.formatLine))")
        }
        if fields.count < 3 {
            throw fail(.missingFields, "missing fields: expected user, item, rating and an optional timestamp, "
                       + "found \(fields.count) field\(fields.count == 1 ? "" : "s")")
        }
        if fields.count > 4 {
            throw fail(.extraFields, "extra fields: expected user, item, rating and an optional timestamp, "
                       + "found \(fields.count) fields")
        }

        func id(_ f: [UInt8], _ what: String) throws -> Int64 {
            if f.isEmpty { throw fail(.missingFields, "\(what) is missing (empty field)") }
            if f.first == 45, f.count > 1, f.dropFirst().allSatisfy({ $0 >= 48 && $0 <= 57 }) {
                throw fail(.negativeId, "\(what) '\(text(f))' is negative")
            }
            guard f.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                throw fail(.notANumber, "\(what) '\(text(f))' is not a non-negative integer")
            }
            guard let v = Int64(String(decoding: f, as: UTF8.self)) else {
                throw fail(.idTooLarge, "\(what) '\(text(f))' is too large (maximum \(Int64.max))")
            }
            return v
        }
        let user = try id(fields[0], "user id")
        let item = try id(fields[1], "item id")

        let rf = fields[2]
        if rf.isEmpty { throw fail(.missingFields, "rating is missing (empty field)") }
        let rtext = String(decoding: rf, as: UTF8.self)
        // Only decimal notation: Double(String) would also take hexadecimal and "inf" spellings.
        let allowed: (UInt8) -> Bool = { ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 43 || $0 == 45 || $0 == 101 || $0 == 69 }
        let lower = rtext.lowercased()
        if ["nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"].contains(lower) {
            throw fail(.notFinite, "rating '\(text(rf))' is not finite")
        }
        guard rf.allSatisfy(allowed), let value = Double(rtext) else {
            throw fail(.notANumber, "rating '\(text(rf))' is not a number")
        }
        if !value.isFinite || !Float(value).isFinite {
            throw fail(.notFinite, "rating '\(text(rf))' is not finite")
        }
        if !(value > 0 && value <= 100) {
            throw fail(.ratingOutOfRange, "rating '\(text(rf))' is out of range: ratings must be > 0 and ≤ 100")
        }
        if fields.count == 4 {
            let tf = fields[3]
            if tf.isEmpty { throw fail(.missingFields, "timestamp is empty (omit the separator when there is none)") }
            let digitsOnly = (tf.first == 45 ? tf.dropFirst() : tf[...])
            guard !digitsOnly.isEmpty, digitsOnly.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                throw fail(.notANumber, "timestamp '\(text(tf))' is not an integer")
            }
            guard Int64(String(decoding: tf, as: UTF8.self)) != nil else {
                throw fail(.notANumber, "timestamp '\(text(tf))' is too large")
            }
        }
        return (user, item, Float(value))
    }
}
