import Foundation
import Testing
import AutoRec
@testable import AutoRecCLI

#if canImport(Glibc)
import Glibc
#endif

// The malformed-input suite run through the command line (`AutoRecCommand.run`): every bad file
// ends with exit status 1 and one line `autorec: error: FILE[:LINE]: problem`, every bad flag with
// status 2; sensible inputs (CRLF, BOM, duplicates, huge ids, cold test users, Latin-1 titles)
// run. See Docs/Reliability.md. Reader-level cases are in DataTests.swift and TitlesTests.swift.

/// Flags that make a training run take well under a second in a debug build.
let tiny = ["--hidden", "4", "--epochs", "3", "--lambda", "1", "--ensemble", "1", "--quiet"]

/// A small valid ratings text: `users` × `items` with every third pair missing.
func smallRatings(users: Int = 12, items: Int = 10, separator: String = "\t", lineEnd: String = "\n",
                  userBase: Int64 = 1, itemBase: Int64 = 1) -> String {
    var text = ""
    for u in 0..<users {
        for i in 0..<items where (u + i) % 3 != 0 {
            text += "\(userBase + Int64(u))\(separator)\(itemBase + Int64(i))\(separator)\(1 + (u * 7 + i) % 5)\(lineEnd)"
        }
    }
    return text
}

@Suite("Malformed input through the command line")
struct MalformedInputCLITests {
    /// (name, file content, expected stderr after "autorec: error: PATH").
    static let badRatings: [(String, [UInt8], String)] = [
        ("empty", [], ": file is empty (no ratings)"),
        ("blank lines and BOM only", [0xEF, 0xBB, 0xBF] + Array("\r\n \n\t\n".utf8), ": file is empty (no ratings)"),
        ("header only", Array("userId,movieId,rating,timestamp\r\n".utf8), ": has a header line but no ratings"),
        ("mixed separators", Array("1,2,3\n1\t2\t4\n".utf8), ":2: unexpected separator tab; this file uses ','"),
        ("semicolons", Array("1;2;3\n".utf8), ":1: cannot detect the format from '1;2;3'"),
        ("single colon in ::", Array("1::2::3\n1:3:4\n".utf8), ":2: unexpected single ':' separator"),
        ("non-numeric id", Array("1 2 3\n1 x 3\n".utf8), ":2: item id 'x' is not a non-negative integer"),
        ("non-numeric rating", Array("1 2 3\n1 3 four\n".utf8), ":2: rating 'four' is not a number"),
        ("hexadecimal rating", Array("1 2 3\n1 3 0x4\n".utf8), ":2: rating '0x4' is not a number"),
        ("missing field", Array("1 2 3\n1 2\n".utf8), ":2: missing fields"),
        ("empty csv field", Array("1,2,3\n1,,3\n".utf8), ":2: item id is missing (empty field)"),
        ("extra field", Array("1 2 3 4 5\n".utf8), ":1: extra fields"),
        ("negative user", Array("1 2 3\n-1 2 3\n".utf8), ":2: user id '-1' is negative"),
        ("id over Int64", Array("1 2 3\n1 99999999999999999999 3\n".utf8), ":2: item id '99999999999999999999' is too large"),
        ("NaN rating", Array("1 2 3\n1 3 nan\n".utf8), ":2: rating 'nan' is not finite"),
        ("infinite rating", Array("1 2 3\n1 3 -inf\n".utf8), ":2: rating '-inf' is not finite"),
        ("rating overflowing Float", Array("1 2 3\n1 3 1e39\n".utf8), ":2: rating '1e39' is not finite"),
        ("zero rating", Array("1 2 3\n1 3 0\n".utf8), ":2: rating '0' is out of range"),
        ("rating above 100", Array("1 2 3\n1 3 978300760\n".utf8), ":2: rating '978300760' is out of range"),
        ("bad timestamp", Array("1 2 3 5\n1 3 4 noon\n".utf8), ":2: timestamp 'noon' is not an integer"),
        ("line numbers count CRLF, BOM and blank lines", [0xEF, 0xBB, 0xBF] + Array("1\t2\t3\r\n\r\n1\t2\tbad\r\n".utf8),
         ":3: rating 'bad' is not a number"),
        ("Latin-1 bytes in a field", Array("1 2 3\n1 caf".utf8) + [0xE9] + Array(" 3\n".utf8), ":2: item id 'caf\u{FFFD}'"),
        ("NUL bytes", Array("1 2 3\n".utf8) + [0, 0, 0, 10], ":2: missing fields"),
    ]

    @Test("bad ratings files: status 1, one line naming file and line", arguments: badRatings.indices)
    func badRatingsFile(index: Int) throws {
        let (name, bytes, expected) = Self.badRatings[index]
        let dir = try TemporaryDirectory()
        let path = try dir.write("bad.data", bytes)
        let r = runAutoRec(["--ratings", path] + tiny)
        #expect(r.status == 1, "\(name)")
        #expect(r.err.hasPrefix("autorec: error: \(path)\(expected)"), "\(name): stderr was \(r.err)")
        #expect(r.err.split(separator: "\n").count == 1, "\(name): one line")
        #expect(r.out.isEmpty)
    }

    @Test("the same errors through --train/--test and evaluate name the file that is wrong")
    func badFileInTwoFileSplit() throws {
        let dir = try TemporaryDirectory()
        let good = try dir.write("good.data", smallRatings())
        let bad = try dir.write("bad.test", "1\t2\t3\n1\t2\t3\t4\t5\n")
        var r = runAutoRec(["--train", good, "--test", bad] + tiny)
        #expect(r.status == 1)
        #expect(r.err.hasPrefix("autorec: error: \(bad):2: extra fields"), "stderr: \(r.err)")
        r = runAutoRec(["--train", bad, "--test", good] + tiny)
        #expect(r.status == 1)
        #expect(r.err.hasPrefix("autorec: error: \(bad):2: extra fields"), "stderr: \(r.err)")

        let model = dir.path + "/m.safetensors"
        #expect(runAutoRec(["--ratings", good, "--save", model] + tiny).status == 0)
        r = runAutoRec(["evaluate", "--load", model, "--test", bad])
        #expect(r.status == 1)
        #expect(r.err.hasPrefix("autorec: error: \(bad):2: extra fields"), "stderr: \(r.err)")
        r = runAutoRec(["evaluate", "--load", model, "--ratings", dir.path])
        #expect(r.status == 1)
        #expect(r.err.hasPrefix("autorec: error: \(dir.path): is a directory, not a file"), "stderr: \(r.err)")
    }

    @Test("a directory, a missing file, a path through a file and an unreadable file")
    func unreadablePaths() throws {
        let dir = try TemporaryDirectory()
        let file = try dir.write("plain.data", smallRatings())
        let cases: [(String, String)] = [
            (dir.path, "\(dir.path): is a directory, not a file"),
            (dir.path + "/missing.data", "\(dir.path)/missing.data: cannot open: No such file or directory"),
            (file + "/x", "\(file)/x: cannot open: Not a directory"),
        ]
        for (path, message) in cases {
            for args in [["--ratings", path] + tiny, ["--train", path, "--test", file] + tiny, ["--train", file, "--test", path] + tiny] {
                let r = runAutoRec(args)
                #expect(r.status == 1)
                #expect(r.err == "autorec: error: \(message)\n", "args \(args): stderr \(r.err)")
            }
        }
        // Permission bits do not stop root, so this case only runs as another user.
        if getuid() != 0 {
            let locked = try dir.write("locked.data", smallRatings())
            chmod(locked, 0)
            let r = runAutoRec(["--ratings", locked] + tiny)
            #expect(r.status == 1)
            #expect(r.err == "autorec: error: \(locked): cannot open: Permission denied\n")
        }
    }

    @Test("a 10 MB line: refused as too long on that line (the reader stops at the limit); titles may be long")
    func veryLongLine() throws {
        let dir = try TemporaryDirectory()
        let long = [UInt8](repeating: UInt8(ascii: "7"), count: 10 << 20)
        // As a data line (a 10-million-digit id) and as the first line (format detection).
        let second = try dir.write("long2.data", Array("1 2 3\n1 ".utf8) + long + Array(" 3\n4 5 6\n".utf8))
        var r = runAutoRec(["--ratings", second] + tiny)
        #expect(r.status == 1)
        #expect(r.err == "autorec: error: \(second):2: line is too long (10485764 bytes; at most 65536 are accepted)\n",
                "stderr: \(r.err.prefix(300))")
        let first = try dir.write("long1.data", long + Array("\n".utf8))
        r = runAutoRec(["--ratings", first] + tiny)
        #expect(r.status == 1)
        #expect(r.err == "autorec: error: \(first):1: line is too long (10485760 bytes; at most 65536 are accepted)\n",
                "stderr: \(r.err.prefix(300))")
        // Just under the limit: an ordinary error about the field.
        let under = try dir.write("under.data", Array("1 2 3\n1 ".utf8) + long.prefix(60_000) + Array(" 3\n".utf8))
        r = runAutoRec(["--ratings", under] + tiny)
        #expect(r.err.hasPrefix("autorec: error: \(under):2: item id '7777") && r.err.contains("is too large") && r.err.count < 300,
                "stderr: \(r.err.prefix(300))")
        let titles = try dir.write("long.item", Array("1|A\n2|".utf8) + long + Array("\n3\n".utf8))
        #expect(throws: DataFileError(file: titles, line: 3, kind: .missingFields, message: "missing title: expected id and title")) {
            try MovieTitles.read(titles)
        }
    }

    @Test("bad titles files through recommend: status 1 naming the file and line")
    func badTitles() throws {
        let dir = try TemporaryDirectory()
        let model = dir.path + "/m.safetensors"
        #expect(runAutoRec(["--ratings", try dir.write("r.data", smallRatings()), "--save", model] + tiny).status == 0)
        let cases: [(String, String)] = [
            ("", ": file is empty (no titles)"),
            ("movieId,title,genres\n", ": has a header line but no titles"),
            ("1|A\n-2|B\n", ":2: item id '-2' is negative"),
            ("1,A\n2,\"B\n", ":2: quoted field is not closed"),
            ("1|A\n2\n", ":2: missing title"),
        ]
        for (text, expected) in cases {
            let titles = try dir.write("t.item", text)
            let r = runAutoRec(["recommend", "--load", model, "--user", "1", "--titles", titles])
            #expect(r.status == 1)
            #expect(r.err.hasPrefix("autorec: error: \(titles)\(expected)"), "stderr: \(r.err)")
        }
        let r = runAutoRec(["recommend", "--load", model, "--user", "1", "--titles", dir.path])
        #expect(r.status == 1 && r.err.contains("is a directory"))
    }

    @Test("usage errors for values out of range: status 2", arguments: [
        (["--threads", "0"], "--threads: '0' is not a whole number in 1...1024"),
        (["--learning-rate", "nan"], "--learning-rate: 'nan' is not a number"),
        (["--learning-rate", "inf"], "--learning-rate: 'inf' is not a number"),
        (["--learning-rate", "-1"], "--learning-rate: '-1' is not a number"),
        (["--test-fraction", "1"], "--test-fraction: '1' is not a number in 0.001...0.9"),
        (["--hidden", "0"], "--hidden: '0' is not a size"),
        (["--hidden", "4,,4"], "--hidden: '4,,4' is not a size"),
        (["--hidden", "1000000000000"], "--hidden: '1000000000000' is not a size"),
        (["--seed", "-1"], "--seed: '-1' is not a whole number"),
        (["--lambda", "nan"], "--lambda: 'nan' is not 'auto' or a number"),
        (["--epochs", "99999999999999999999"], "--epochs: '99999999999999999999' is not a whole number"),
        (["--ratings", "a", "--ratings", "b"], "--ratings is given twice"),
        (["--synthetic", "0x5x5"], "--synthetic:"),
        (["--synthetic", "1000000000000x5x5"], "--synthetic:"),
        (["recommend", "--load", "m", "--user", "99999999999999999999"], "--user: '99999999999999999999' is not an integer id"),
        (["evaluate", "--load", "m", "--test", "a", "--ratings", "b"], "evaluate needs exactly one of"),
    ])
    func usageErrors(arguments: [String], message: String) {
        let r = runAutoRec(arguments)
        #expect(r.status == 2, "stderr: \(r.err)")
        #expect(r.err.contains(message), "stderr: \(r.err)")
        #expect(r.out.isEmpty)
    }
}

@Suite("Unusual but valid input through the command line")
struct UnusualInputCLITests {
    @Test("CRLF, BOM, blank lines, no final newline, header: the same results as the plain file")
    func lineEndsAndBOM() throws {
        let dir = try TemporaryDirectory()
        let plain = try dir.write("plain.data", smallRatings())
        let crlf = try dir.write("crlf.csv", [0xEF, 0xBB, 0xBF] + Array(("userId,movieId,rating\r\n\r\n"
            + smallRatings(separator: ",", lineEnd: "\r\n")).utf8.dropLast(2)))
        let a = runAutoRec(["--ratings", plain] + tiny)
        let b = runAutoRec(["--ratings", crlf] + tiny)
        #expect(a.status == 0 && b.status == 0, "stderr: \(a.err) \(b.err)")
        func numbers(_ text: String) -> [String] { text.split(separator: "\n").filter { $0.hasPrefix("test RMSE") || $0.hasPrefix("lambda") }.map(String.init) }
        #expect(numbers(a.out) == numbers(b.out) && !numbers(a.out).isEmpty)
    }

    @Test("duplicate (user, item) lines: the last one wins, a note says how many were dropped")
    func duplicates() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("dups.data", smallRatings() + "1\t2\t5\n1\t2\t1\n")
        let r = runAutoRec(["--ratings", path, "--hidden", "4", "--epochs", "3", "--lambda", "1", "--ensemble", "1"])
        #expect(r.status == 0, "stderr: \(r.err)")
        #expect(r.err.contains("\(path): 2 duplicate (user, item) lines; the last rating of each pair was kept"), "stderr: \(r.err)")
        let set = try RatingsFile.read(path)
        #expect(set.duplicatesRemoved == 2)
        let k = try #require((0..<set.count).first { set.users.rawId(at: Int(set.userIndices[$0])) == 1 && set.items.rawId(at: Int(set.itemIndices[$0])) == 2 })
        #expect(set.values[k] == 1)
    }

    @Test("ids of 0, 10^12 and Int64.max: train, save, recommend by raw id; nothing id-sized is allocated")
    func hugeIds() throws {
        let dir = try TemporaryDirectory()
        // Users 10^12 ..< 10^12 + 12 and items Int64.max - 9 ... Int64.max, plus user 0.
        let text = smallRatings(userBase: 1_000_000_000_000, itemBase: Int64.max - 9) + "0\t\(Int64.max)\t4\n"
        let path = try dir.write("huge.data", text)
        let model = dir.path + "/m.safetensors"
        let train = runAutoRec(["--ratings", path, "--save", model] + tiny)
        #expect(train.status == 0, "stderr: \(train.err)")
        #expect(train.out.contains("(13 users × 10 items)"), "stdout: \(train.out)")
        let file = try ModelFile(contentsOf: model)
        #expect(file.recommender.training.users.rawIds.first == 0)
        #expect(file.recommender.training.items.rawIds.last == Int64.max)
        let rec = runAutoRec(["recommend", "--load", model, "--user", "1000000000000", "--top", "3"])
        #expect(rec.status == 0, "stderr: \(rec.err)")
        #expect(rec.out.contains("item \(Int64.max - 9)") || rec.out.contains("item 922337203685477"), "stdout: \(rec.out)")
        // A model file is proportional to the ratings, not to the ids.
        let size = try #require(try FileManager.default.attributesOfItem(atPath: model)[.size] as? Int)
        #expect(size < 10_000)
    }

    @Test("a test file whose users and items never appear in training: every test rating is cold")
    func coldTestFile() throws {
        let dir = try TemporaryDirectory()
        let train = try dir.write("a.base", smallRatings())
        let test = try dir.write("a.test", "500\t600\t4\n501\t3\t2\n2\t601\t5\n")
        let model = dir.path + "/m.safetensors"
        let r = runAutoRec(["--train", train, "--test", test, "--save", model] + tiny)
        #expect(r.status == 0, "stderr: \(r.err)")
        #expect(r.out.contains("(3 ratings, 3 cold → default"), "stdout: \(r.out)")
        // evaluate on the same test file reproduces the RMSE (test-only ids are in the model's maps, without ratings).
        let e = runAutoRec(["evaluate", "--load", model, "--test", test])
        #expect(e.status == 0, "stderr: \(e.err)")
        func rmse(_ text: String) -> String? { text.split(separator: "\n").first { $0.hasPrefix("test RMSE:") }.map { String($0.prefix(17)) } }
        #expect(rmse(e.out) != nil && rmse(e.out) == rmse(r.out), "train: \(r.out) evaluate: \(e.out)")
    }

    @Test("Latin-1 titles are shown correctly by recommend")
    func latin1Titles() throws {
        let dir = try TemporaryDirectory()
        let model = dir.path + "/m.safetensors"
        #expect(runAutoRec(["--ratings", try dir.write("r.data", smallRatings()), "--save", model] + tiny).status == 0)
        var bytes: [UInt8] = []
        for i in 1...10 { bytes += Array("\(i)|Caf".utf8) + [0xE9] + Array(" \(i) (1995)|01-Jan-1995||http://x|0|1\r\n".utf8) }
        let titles = try dir.write("u.item", bytes)
        let r = runAutoRec(["recommend", "--load", model, "--user", "1", "--top", "3", "--titles", titles])
        #expect(r.status == 0, "stderr: \(r.err)")
        #expect(r.out.contains("Café "), "stdout: \(r.out)")
    }
}

@Suite("Degenerate data through the command line")
struct DegenerateDataCLITests {
    @Test("too few ratings: exit 1 saying which part of the split would be empty and how many are needed")
    func tooFewRatings() throws {
        let dir = try TemporaryDirectory()
        // The file: two ratings, one of them 9.
        let two = try dir.write("two.data", "1\t1\t9\n1\t2\t3\n")
        var r = runAutoRec(["--ratings", two] + tiny)
        #expect(r.status == 1 && r.out.isEmpty)
        #expect(r.err == "autorec: error: \(two): too few ratings to train and test: a 10% split of 2 ratings holds out 0: "
                + "no test ratings (--test-fraction 0.1); at least 6 ratings are needed\n", "stderr: \(r.err)")
        // Enough for a test rating, too few left to train on.
        let ten = try dir.write("ten.data", smallRatings(users: 4, items: 4))
        r = runAutoRec(["--ratings", ten, "--test-fraction", "0.9"] + tiny)
        #expect(r.status == 1 && r.err.contains("holds out 9 and keeps 1, too few training ratings"), "stderr: \(r.err)")
        // A training file too small for the validation holdout.
        let small = try dir.write("small.base", "1\t1\t4\n1\t2\t3\n2\t1\t5\n2\t2\t1\n")
        let test = try dir.write("small.test", "1\t3\t4\n")
        r = runAutoRec(["--train", small, "--test", test] + tiny)
        #expect(r.status == 1)
        #expect(r.err == "autorec: error: too few training ratings for the λ search's validation holdout: a 10% split of 4 "
                + "ratings holds out 0: no validation ratings; at least 5 training ratings are needed\n", "stderr: \(r.err)")
        // evaluate: a split that leaves no test ratings.
        let model = dir.path + "/m.safetensors"
        #expect(runAutoRec(["--ratings", try dir.write("r.data", smallRatings()), "--save", model] + tiny).status == 0)
        r = runAutoRec(["evaluate", "--load", model, "--ratings", two])
        #expect(r.status == 1 && r.err == "autorec: error: \(two): a 10% split of 2 ratings holds out 0: no test ratings\n", "stderr: \(r.err)")
    }

    @Test("the rating scale inferred from the data is reported")
    func inferredScale() throws {
        let dir = try TemporaryDirectory()
        var text = ""
        for u in 1...12 { for i in 1...10 where (u + i) % 3 != 0 { text += "\(u)\t\(i)\t\(2 + (u * 2 + i) % 3)\n" } }
        let r = runAutoRec(["--ratings", try dir.write("r.data", text)] + tiny)
        #expect(r.status == 0, "stderr: \(r.err)")
        #expect(r.out.contains(", ratings 2–4 (inferred from the training ratings)\n"), "stdout: \(r.out)")
        #expect(r.out.contains("cold → default 3)"))
    }

    @Test("--synthetic with more ratings than users × items is a usage error", arguments: ["10x10x1000", "10x10x101", "1x1x2"])
    func syntheticTooManyRatings(shape: String) {
        let r = runAutoRec(["--synthetic", shape] + tiny)
        #expect(r.status == 2 && r.out.isEmpty)
        let parts = shape.split(separator: "x")
        #expect(r.err.hasPrefix("autorec: --synthetic: invalid shape '\(shape)': \(parts[2]) ratings do not fit in \(parts[0]) users × "
                                + "\(parts[1]) items"), "stderr: \(r.err)")
    }

    @Test("a titles file given as ratings says so and what a ratings file looks like", arguments: [
        ("u.item", "1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)|0|0|0|1|1\n2|GoldenEye (1995)|01-Jan-1995||x|0|1\n", 1),
        ("movies.dat", "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Jumanji (1995)::Adventure\n", 1),
        ("movies.csv", "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n", 2),
        ("movies-no-genres.csv", "1,Heat (1995),Action\n", 1),
    ])
    func titlesAsRatings(name: String, text: String, line: Int) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write(name, text)
        let r = runAutoRec(["--ratings", path] + tiny)
        #expect(r.status == 1)
        #expect(r.err.hasPrefix("autorec: error: \(path):\(line): this looks like a titles file (id|title|…, as u.item, movies.dat "
                                + "or movies.csv), not ratings: a ratings file has one rating per line: user id, item id, rating"),
                "stderr: \(r.err)")
        #expect(r.err.contains("(u.data), '::' (ratings.dat) or ',' (ratings.csv)"))
    }

    @Test("cold test ratings: train and evaluate count the same (users whose ratings all went to the test set)")
    func coldCountsAgree() throws {
        let dir = try TemporaryDirectory()
        // 30 users with one rating each: with half the ratings in the test set many become cold.
        var text = smallRatings()
        for u in 100..<130 { text += "\(u)\t\(1 + u % 10)\t\(1 + u % 5)\n" }
        let path = try dir.write("r.data", text)
        let model = dir.path + "/m.safetensors", trainJSON = dir.path + "/t.json", evalJSON = dir.path + "/e.json"
        let train = runAutoRec(["--ratings", path, "--test-fraction", "0.5", "--save", model, "--metrics-json", trainJSON] + tiny)
        #expect(train.status == 0, "stderr: \(train.err)")
        let evaluate = runAutoRec(["evaluate", "--load", model, "--ratings", path, "--metrics-json", evalJSON])
        #expect(evaluate.status == 0, "stderr: \(evaluate.err)")
        func testLine(_ out: String) -> Substring? { out.split(separator: "\n").first { $0.hasPrefix("test RMSE:") } }
        #expect(testLine(train.out) != nil && testLine(train.out) == testLine(evaluate.out), "train: \(train.out)\nevaluate: \(evaluate.out)")
        func cold(_ path: String) throws -> Int? {
            (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])?["cold_test_ratings"] as? Int
        }
        let count = try #require(try cold(trainJSON))
        let evaluated = try cold(evalJSON)
        #expect(count > 0 && evaluated == count)
    }
}
