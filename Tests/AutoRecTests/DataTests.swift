import Foundation
import Testing
import AutoRec

@Suite("Ratings files")
struct RatingsFileTests {
    @Test("u.data layout: tabs, timestamps, ids mapped in sorted order")
    func tabSeparated() throws {
        let set = try RatingsFile.parse(Array("196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n196\t302\t4\t881250950\n".utf8), name: "u.data")
        #expect(set.count == 4)
        #expect(set.users.rawIds == [22, 186, 196])
        #expect(set.items.rawIds == [242, 302, 377])
        #expect(set.users.index(of: 196) == 2)
        #expect(set.users.index(of: 5) == nil)
        #expect(set.userIndices == [2, 1, 0, 2])
        #expect(set.itemIndices == [0, 1, 2, 1])
        #expect(set.values == [3, 3, 1, 4])
        #expect(set.scale == RatingScale(minimum: 1, maximum: 4))
        #expect(set.duplicatesRemoved == 0)
    }

    @Test("spaces and tab runs, no timestamp, fractional ratings")
    func spacesNoTimestamp() throws {
        let set = try RatingsFile.parse(Array("1 10 4.5\n2  \t 11   3\n  3 12 0.5  \n".utf8), name: "x")
        #expect(set.values == [4.5, 3, 0.5])
        #expect(set.users.rawIds == [1, 2, 3])
    }

    @Test("ratings.dat layout with half stars")
    func doubleColon() throws {
        let text = "1::1193::5::978300760\n1::661::3.5::978302109\n2::1193::0.5::978298413\n"
        let set = try RatingsFile.parse(Array(text.utf8), name: "ratings.dat")
        #expect(set.count == 3)
        #expect(set.values == [5, 3.5, 0.5])
        #expect(set.items.rawIds == [661, 1193])
    }

    @Test("ratings.csv layout with header")
    func csv() throws {
        let text = "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.0,964981247\n610,170875,3.0,1493846415\n"
        let set = try RatingsFile.parse(Array(text.utf8), name: "ratings.csv")
        #expect(set.count == 3)
        #expect(set.users.rawIds == [1, 610])
        #expect(set.items.rawIds == [1, 3, 170875])
        #expect(set.values == [4, 4, 3])
    }

    @Test("format detection from content", arguments: [
        ("1\t2\t3\t4\n", RatingsFormat.whitespace),
        ("1 2 3\n", RatingsFormat.whitespace),
        ("1::2::3::4\n", RatingsFormat.doubleColon),
        ("userId,movieId,rating,timestamp\n1,2,3,4\n", RatingsFormat.csv),
        ("1,2,3\n", RatingsFormat.csv),
    ])
    func detection(text: String, format: RatingsFormat) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("any-name", text)
        #expect(try RatingsFile.detectFormat(path) == format)
        #expect(try RatingsFile.read(path).count == 1)
    }

    @Test("CRLF line ends, UTF-8 byte-order mark, blank lines, no final newline")
    func lineEndings() throws {
        let expected = try RatingsFile.parse(Array("1,2,3\n1,3,4\n2,2,5\n".utf8), name: "plain")
        let variants: [[UInt8]] = [
            Array("1,2,3\r\n1,3,4\r\n2,2,5\r\n".utf8),
            [0xEF, 0xBB, 0xBF] + Array("1,2,3\r\n\r\n1,3,4\n\n\n2,2,5".utf8),
            [0xEF, 0xBB, 0xBF] + Array("userId,movieId,rating\r\n1,2,3\r\n1,3,4\r\n   \r\n2,2,5\r\n".utf8),
            Array("\n\n1,2,3\n1,3,4\n2,2,5\n\n".utf8),
        ]
        for bytes in variants {
            let set = try RatingsFile.parse(bytes, name: "variant")
            #expect(triples(set) == triples(expected))
        }
        let tab = try RatingsFile.parse([0xEF, 0xBB, 0xBF] + Array("1\t2\t3\t9\r\n1\t3\t4\t9\r\n2\t2\t5\t9".utf8), name: "t")
        #expect(triples(tab) == triples(expected))
        let dat = try RatingsFile.parse(Array("1::2::3\r\n1::3::4\r\n2::2::5\r\n".utf8), name: "d")
        #expect(triples(dat) == triples(expected))
    }

    @Test("duplicate (user, item) pairs: the last occurrence wins and is counted")
    func duplicates() throws {
        let text = "1\t1\t1\n2\t1\t2\n1\t1\t3\n1\t2\t4\n1\t1\t5\n2\t1\t2\n"
        let set = try RatingsFile.parse(Array(text.utf8), name: "dups")
        #expect(set.duplicatesRemoved == 3)
        #expect(set.count == 3)
        #expect(triples(set) == [[1, 1, 5], [1, 2, 4], [2, 1, 2]])
        // Grouped-by-user input takes another code path; same policy.
        let grouped = try RatingsFile.parse(Array("1 1 1\n1 2 2\n1 1 3\n2 5 1\n2 5 4\n".utf8), name: "g")
        #expect(grouped.duplicatesRemoved == 2)
        #expect(triples(grouped) == [[1, 1, 3], [1, 2, 2], [2, 5, 4]])
    }

    @Test("huge raw ids are mapped, not used as offsets")
    func hugeIds() throws {
        let big: Int64 = 1_000_000_000_000
        let text = "\(big)\t\(big + 7)\t4\n\(Int64.max)\t3\t2\n0\t\(big + 7)\t5\n"
        let set = try RatingsFile.parse(Array(text.utf8), name: "huge")
        #expect(set.userCount == 3)
        #expect(set.itemCount == 2)
        #expect(set.users.rawIds == [0, big, Int64.max])
        #expect(set.users.index(of: big) == 1)
        #expect(set.items.index(of: big + 7) == 1)
        #expect(set.users.index(of: big + 1) == nil)
        let csr = set.compressedRows(by: .user)
        #expect(csr.rowPointers == [0, 1, 2, 3])
    }

    @Test("IdMap: consecutive and scattered ids, both directions")
    func idMap() {
        let consecutive = IdMap(consecutiveFrom: 1, count: 943)
        #expect(consecutive.index(of: 1) == 0)
        #expect(consecutive.index(of: 943) == 942)
        #expect(consecutive.index(of: 944) == nil)
        #expect(consecutive.index(of: 0) == nil)
        #expect(consecutive.index(of: Int64.min) == nil)
        let scattered = IdMap(rawIds: [5, 1_000_000_000_000, 17, 3])
        for (k, id) in scattered.rawIds.enumerated() {
            #expect(scattered.index(of: id) == k)
            #expect(scattered.rawId(at: k) == id)
        }
        #expect(scattered.index(of: 4) == nil)
        #expect(scattered.index(of: -1) == nil)
    }

    @Test("CSR by user and by item: sorted columns, every input order")
    func compressedRows() throws {
        // Row-grouped with unsorted columns, column-sorted, and fully shuffled inputs.
        let inputs = [
            "1 3 1\n1 1 2\n1 2 3\n2 2 4\n3 3 5\n3 1 1\n",
            "1 1 2\n3 1 1\n1 2 3\n2 2 4\n1 3 1\n3 3 5\n",
            "3 3 5\n1 2 3\n2 2 4\n1 3 1\n3 1 1\n1 1 2\n",
        ]
        for text in inputs {
            let set = try RatingsFile.parse(Array(text.utf8), name: "csr")
            let byUser = set.compressedRows(by: .user)
            #expect(byUser.rowCount == 3 && byUser.columnCount == 3)
            #expect(byUser.rowPointers == [0, 3, 4, 6])
            #expect(byUser.columnIndices == [0, 1, 2, 1, 0, 2])
            #expect(byUser.values == [2, 3, 1, 4, 1, 5])
            let byItem = set.compressedRows(by: .item)
            #expect(byItem.rowPointers == [0, 2, 4, 6])
            #expect(byItem.columnIndices == [0, 2, 0, 1, 0, 2])
            #expect(byItem.values == [2, 1, 3, 4, 1, 5])
        }
    }

    @Test("writing generated data in every layout and reading it back gives the same ratings")
    func roundTrip() throws {
        let set = SyntheticRatings.generate(users: 300, items: 200, ratings: 20_000, seed: 3)
        let dir = try TemporaryDirectory()
        let layouts: [(String, String, String)] = [("u.data", "\t", ""), ("ratings.dat", "::", ""),
                                                    ("ratings.csv", ",", "userId,movieId,rating,timestamp\n")]
        for (name, separator, header) in layouts {
            var text = header
            for k in 0..<set.count {
                let u = set.users.rawId(at: Int(set.userIndices[k])), i = set.items.rawId(at: Int(set.itemIndices[k]))
                text += "\(u)\(separator)\(i)\(separator)\(Int(set.values[k]))\(separator)\(900_000_000 + k)\n"
            }
            let back = try RatingsFile.read(try dir.write(name, text))
            #expect(triples(back) == triples(set))
        }
    }
}

@Suite("Ratings file errors")
struct RatingsFileErrorTests {
    @Test("missing path and directory name the path")
    func unreadable() throws {
        let dir = try TemporaryDirectory()
        let missing = dir.path + "/nope.data"
        do {
            _ = try RatingsFile.read(missing)
            Issue.record("no error")
        } catch let error as DataFileError {
            #expect(error.kind == .unreadable)
            #expect(error.description.hasPrefix(missing + ": cannot open"))
        }
        do {
            _ = try RatingsFile.read(dir.path)
            Issue.record("no error")
        } catch let error as DataFileError {
            #expect(error.kind == .isDirectory)
            #expect(error.description == "\(dir.path): is a directory, not a file")
        }
    }

    @Test("empty and header-only files")
    func emptyFiles() throws {
        let dir = try TemporaryDirectory()
        for content in [[], [0xEF, 0xBB, 0xBF], Array("\n\r\n  \n".utf8)] as [[UInt8]] {
            let path = try dir.write("empty.data", content)
            do {
                _ = try RatingsFile.read(path)
                Issue.record("no error")
            } catch let error as DataFileError {
                #expect(error.kind == .empty)
                #expect(error.description == "\(path): file is empty (no ratings)")
            }
        }
        let error = ratingsError("userId,movieId,rating,timestamp\r\n\r\n", name: "ratings.csv")
        #expect(error?.kind == .headerOnly)
        #expect(error?.description == "ratings.csv: has a header line but no ratings")
    }

    /// (file content, kind, expected description).
    static let cases: [(String, DataFileError.Kind, String)] = [
        ("1\t2\t3\n1\t3\t4\n1,4,5\n", .wrongSeparator,
         "f:3: unexpected separator ','; this file uses tabs/spaces (detected from line 1)"),
        ("1,2,3\n1\t4\t5\n", .wrongSeparator,
         "f:2: unexpected separator tab; this file uses ',' (detected from line 1)"),
        ("1::2::3\n1:4:5\n", .wrongSeparator,
         "f:2: unexpected single ':' separator; this file uses '::' (detected from line 1)"),
        ("1;2;3\n", .unknownFormat,
         "f:1: cannot detect the format from '1;2;3': expected user, item and rating separated by tabs or spaces (u.data), '::' (ratings.dat) or ',' (ratings.csv)"),
        ("1 2 3\n1 2;3 4\n", .wrongSeparator,
         "f:2: unexpected separator ';'; this file uses tabs/spaces (detected from line 1)"),
        ("1\t2\t3\n\n1\t2\n", .missingFields,
         "f:3: missing fields: expected user, item, rating and an optional timestamp, found 2 fields"),
        ("1,2,3\n7\n", .missingFields,
         "f:2: missing fields: expected user, item, rating and an optional timestamp, found 1 field"),
        ("1\t2\t3\t4\t5\n", .extraFields,
         "f:1: extra fields: expected user, item, rating and an optional timestamp, found 5 fields"),
        ("1,2,3\n1,,3\n", .missingFields, "f:2: item id is missing (empty field)"),
        ("1 2 3\nx1 2 3\n", .notANumber, "f:2: user id 'x1' is not a non-negative integer"),
        ("1 2 3\n1 2.5 3\n", .notANumber, "f:2: item id '2.5' is not a non-negative integer"),
        ("1 2 3\n-4 2 3\n", .negativeId, "f:2: user id '-4' is negative"),
        ("1 2 3\n1 -2 3\n", .negativeId, "f:2: item id '-2' is negative"),
        ("1 2 3\n99999999999999999999 2 3\n", .idTooLarge,
         "f:2: user id '99999999999999999999' is too large (maximum 9223372036854775807)"),
        ("1 2 3\n1 2 three\n", .notANumber, "f:2: rating 'three' is not a number"),
        ("1 2 3\n1 2 0x10\n", .notANumber, "f:2: rating '0x10' is not a number"),
        ("1 2 3\n1 2 NaN\n", .notFinite, "f:2: rating 'NaN' is not finite"),
        ("1 2 3\n1 2 inf\n", .notFinite, "f:2: rating 'inf' is not finite"),
        ("1 2 3\n1 2 1e999\n", .notFinite, "f:2: rating '1e999' is not finite"),
        ("1 2 3\n1 2 0\n", .ratingOutOfRange, "f:2: rating '0' is out of range: ratings must be > 0 and ≤ 100"),
        ("1 2 3\n1 2 -1\n", .ratingOutOfRange, "f:2: rating '-1' is out of range: ratings must be > 0 and ≤ 100"),
        ("1 2 3\n1 2 101\n", .ratingOutOfRange, "f:2: rating '101' is out of range: ratings must be > 0 and ≤ 100"),
        ("1 2 3 5\n1 2 3 yesterday\n", .notANumber, "f:2: timestamp 'yesterday' is not an integer"),
        ("1,2,3,\n", .missingFields, "f:1: timestamp is empty (omit the separator when there is none)"),
    ]

    @Test("malformed lines name file, line and problem", arguments: cases.indices)
    func malformed(index: Int) {
        let (text, kind, message) = Self.cases[index]
        let error = ratingsError(text, name: "f")
        #expect(error?.kind == kind)
        #expect(error?.description == message)
    }

    @Test("the brief's example: ratings.csv:17: rating 'abc' is not a number")
    func lineSeventeen() throws {
        var text = "userId,movieId,rating,timestamp\r\n"
        for k in 0..<15 { text += "1,\(k),4.5,964982703\r\n" }
        text += "2,3,abc,964982703\r\n"
        let dir = try TemporaryDirectory()
        let path = try dir.write("ratings.csv", text)
        do {
            _ = try RatingsFile.read(path)
            Issue.record("no error")
        } catch let error as DataFileError {
            #expect(error.line == 17)
            #expect(error.description == "\(path):17: rating 'abc' is not a number")
        }
    }

    @Test("unusual but valid numbers take the general path")
    func generalPath() throws {
        let set = try RatingsFile.parse(Array("1 2 +3\n1 3 4e0\n1 4 .5\n007 5 3.25 \n".utf8), name: "g")
        #expect(set.values == [3, 4, 0.5, 3.25])
        #expect(set.users.rawIds == [1, 7])
    }
}

@Suite("MovieLens 100K")
struct MovieLens100KTests {
    @Test("u.data: 943 users, 1682 items, 100000 ratings",
          .enabled(if: MovieLens100K.isAvailable, "ML-100K not found at ../shared/data/ml-100k or $TAPEGRAD_DATA; MovieLens may not be redistributed"))
    func uData() throws {
        let set = try RatingsFile.read(MovieLens100K.file("u.data"))
        #expect(set.count == 100_000)
        #expect(set.userCount == 943)
        #expect(set.itemCount == 1682)
        #expect(set.duplicatesRemoved == 0)
        #expect(set.scale == RatingScale(minimum: 1, maximum: 5))
        #expect(abs(set.mean - 3.52986) < 1e-4)
        #expect(set.users.index(of: 1) == 0 && set.items.index(of: 1682) == 1681)
        let csr = set.compressedRows(by: .item)
        #expect(csr.rowPointers.last == 100_000)
        #expect(try RatingsFile.detectFormat(MovieLens100K.file("u.data")) == .whitespace)
    }
}
