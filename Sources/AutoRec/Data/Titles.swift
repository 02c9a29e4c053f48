/// The layouts of MovieLens item-title files, detected from content.
public enum TitlesFormat: String, Sendable, Equatable, CaseIterable {
    /// ML-100K `u.item`: `id|title|release date|...`, Latin-1.
    case pipe
    /// ML-1M / ML-10M `movies.dat`: `id::title::genres`, Latin-1 (ML-1M) or UTF-8 (ML-10M).
    case doubleColon
    /// ml-latest `movies.csv`: header `movieId,title,genres`, titles quoted when they hold commas.
    case csv
}

/// Reading item titles, so recommendations can be printed as names rather than ids.
///
/// The format is detected from the first non-blank line (`::` → movies.dat, `|` → u.item,
/// `,` → movies.csv); a first line whose first field is not a number is a header and skipped.
/// The encoding is decided per file: UTF-8 if the whole file is valid UTF-8, otherwise Latin-1
/// (ISO 8859-1, which every byte sequence is), so `u.item`'s `Caf\u{E9}` and ML-10M's UTF-8 both
/// read correctly. CSV follows RFC 4180 (quoted fields, doubled quotes, commas and line breaks
/// inside quotes). BOM, CRLF and blank lines are accepted. A repeated id keeps its last title.
public enum MovieTitles {
    /// Reads the titles file at `path` as raw item id → title.
    ///
    /// - Throws: ``DataFileError`` naming file and line (unreadable, empty, header only, missing
    ///   title, bad id, unterminated quote).
    public static func read(_ path: String) throws -> [Int64: String] {
        let file = try FileBytes.read(path)
        return try parse(Array(file.buffer), name: path)
    }

    /// The layout of the titles file at `path`.
    public static func detectFormat(_ path: String) throws -> TitlesFormat {
        let file = try FileBytes.read(path)
        return try records(Array(file.buffer), name: path).format
    }

    /// Parses titles held in memory; `name` stands in for the path in error messages.
    public static func parse(_ bytes: [UInt8], name: String) throws -> [Int64: String] {
        let (_, records) = try records(bytes, name: name)
        let isUTF8 = String(validating: bytes, as: UTF8.self) != nil
        var titles: [Int64: String] = [:]
        titles.reserveCapacity(records.count)
        for record in records {
            func fail(_ kind: DataFileError.Kind, _ message: String) -> DataFileError {
                DataFileError(file: name, line: record.line, kind: kind, message: message)
            }
            let idField = trim(record.fields[0])
            let idText = String(decoding: idField, as: UTF8.self)
            if idField.isEmpty { throw fail(.missingFields, "item id is missing (empty field)") }
            if idField.first == 45 { throw fail(.negativeId, "item id '\(idText)' is negative") }
            guard idField.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                throw fail(.notANumber, "item id '\(idText)' is not a non-negative integer")
            }
            guard let id = Int64(idText) else { throw fail(.idTooLarge, "item id '\(idText)' is too large") }
            guard record.fields.count >= 2 else { throw fail(.missingFields, "missing title: expected id and title") }
            let titleBytes = record.fields[1]
            titles[id] = isUTF8 ? String(decoding: titleBytes, as: UTF8.self) : latin1(titleBytes)
        }
        return titles
    }

    private struct Record {
        var line: Int
        var fields: [[UInt8]]
    }

    private static func latin1(_ bytes: [UInt8]) -> String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return String(s)
    }

    private static func trim(_ bytes: [UInt8]) -> [UInt8] {
        var lo = 0, hi = bytes.count
        while lo < hi && (bytes[lo] == 32 || bytes[lo] == 9) { lo += 1 }
        while hi > lo && (bytes[hi - 1] == 32 || bytes[hi - 1] == 9) { hi -= 1 }
        return Array(bytes[lo..<hi])
    }

    /// Splits the file into records of fields (header removed), detecting the format.
    private static func records(_ all: [UInt8], name: String) throws -> (format: TitlesFormat, records: [Record]) {
        var bytes = all[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        // Lines with their numbers (CR stripped), blank lines dropped.
        var lines: [(Int, ArraySlice<UInt8>)] = []
        var number = 1
        for raw in bytes.split(separator: 10, omittingEmptySubsequences: false) {
            var line = raw
            if line.last == 13 { line = line.dropLast() }
            if line.contains(where: { $0 != 32 && $0 != 9 }) { lines.append((number, line)) }
            number += 1
        }
        guard let first = lines.first else {
            throw DataFileError(file: name, line: nil, kind: .empty, message: "file is empty (no titles)")
        }
        let firstLine = Array(first.1)
        let format: TitlesFormat
        if firstLine.indices.dropFirst().contains(where: { firstLine[$0] == 58 && firstLine[$0 - 1] == 58 }) {
            format = .doubleColon
        } else if firstLine.contains(124) {
            format = .pipe
        } else if firstLine.contains(44) {
            format = .csv
        } else {
            throw DataFileError(file: name, line: first.0, kind: .unknownFormat,
                                message: "cannot detect the format: expected 'id|title|...' (u.item), "
                                    + "'id::title::genres' (movies.dat) or 'movieId,title,genres' (movies.csv)")
        }

        var records: [Record] = []
        switch format {
        case .pipe:
            records = lines.map { Record(line: $0.0, fields: $0.1.split(separator: 124, omittingEmptySubsequences: false).map(Array.init)) }
        case .doubleColon:
            records = lines.map { (line, text) in
                var fields: [[UInt8]] = [], current: [UInt8] = []
                var k = text.startIndex
                while k < text.endIndex {
                    if text[k] == 58, k + 1 < text.endIndex, text[k + 1] == 58 {
                        fields.append(current)
                        current = []
                        k += 2
                    } else {
                        current.append(text[k])
                        k += 1
                    }
                }
                fields.append(current)
                return Record(line: line, fields: fields)
            }
        case .csv:
            records = try csvRecords(bytes, name: name)
        }
        let hadAny = !records.isEmpty
        if let head = records.first, let c = trim(head.fields[0]).first, !(c >= 48 && c <= 57) && c != 45 {
            records.removeFirst()
        }
        if records.isEmpty && hadAny {
            throw DataFileError(file: name, line: nil, kind: .headerOnly, message: "has a header line but no titles")
        }
        return (format, records)
    }

    /// RFC 4180 records with the line each starts on; blank lines skipped.
    private static func csvRecords(_ bytes: ArraySlice<UInt8>, name: String) throws -> [Record] {
        var records: [Record] = []
        var fields: [[UInt8]] = []
        var field: [UInt8] = []
        var inQuotes = false
        var line = 1, recordLine = 1, quoteLine = 1
        var k = bytes.startIndex
        func endRecord() {
            fields.append(field)
            field = []
            let blank = fields.count == 1 && fields[0].allSatisfy { $0 == 32 || $0 == 9 || $0 == 13 }
            if !blank { records.append(Record(line: recordLine, fields: fields)) }
            fields = []
        }
        while k < bytes.endIndex {
            let b = bytes[k]
            if inQuotes {
                if b == 34 {
                    if k + 1 < bytes.endIndex && bytes[k + 1] == 34 {
                        field.append(34)
                        k += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if b == 10 { line += 1 }
                    field.append(b)
                }
            } else if b == 34 && field.allSatisfy({ $0 == 32 }) {
                field = []
                inQuotes = true
                quoteLine = line
            } else if b == 44 {
                fields.append(field)
                field = []
            } else if b == 10 {
                if field.last == 13 { field.removeLast() }
                endRecord()
                line += 1
                recordLine = line
            } else {
                field.append(b)
            }
            k += 1
        }
        if inQuotes {
            throw DataFileError(file: name, line: quoteLine, kind: .unterminatedQuote, message: "quoted field is not closed")
        }
        if field.last == 13 { field.removeLast() }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        return records
    }
}
