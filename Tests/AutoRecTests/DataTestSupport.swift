import Foundation
import Testing
import AutoRec

/// A fresh temporary directory for one test, removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("autorec-data-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `bytes` to `name` in the directory and returns the full path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = (path as NSString).appendingPathComponent(name)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    /// Writes UTF-8 text.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }
}

/// Where the MovieLens 100K files are, if present: `$TAPEGRAD_DATA` (the ml-100k directory itself
/// or a directory containing `ml-100k`), else `../shared/data/ml-100k` from the package root.
/// MovieLens may not be redistributed, so the tests that need it are skipped when it is missing.
enum MovieLens100K {
    static let directory: String? = {
        // #filePath is <root>/Tests/AutoRecTests/<file>.swift.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return DataDirectory.movieLens100K(base: root.path)
    }()

    static var isAvailable: Bool { directory != nil }

    static func file(_ name: String) -> String { (directory! as NSString).appendingPathComponent(name) }
}

/// The error thrown by parsing `text` as ratings named `name`, or nil if it parses.
func ratingsError(_ text: String, name: String = "ratings.txt") -> DataFileError? {
    ratingsError(Array(text.utf8), name: name)
}

func ratingsError(_ bytes: [UInt8], name: String) -> DataFileError? {
    do {
        _ = try RatingsFile.parse(bytes, name: name)
        return nil
    } catch let error as DataFileError {
        return error
    } catch {
        Issue.record("unexpected error type \(error)")
        return nil
    }
}

/// (raw user, raw item, rating) triples of a set, sorted, for order-independent comparison.
func triples(_ set: RatingSet) -> [[Double]] {
    (0..<set.count).map { k in
        [Double(set.users.rawId(at: Int(set.userIndices[k]))),
         Double(set.items.rawId(at: Int(set.itemIndices[k]))),
         Double(set.values[k])]
    }.sorted { $0.lexicographicallyPrecedes($1) }
}
