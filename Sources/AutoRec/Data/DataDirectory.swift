import Foundation

/// Where programs and tests look for MovieLens, which may not be redistributed and so is never
/// part of the repository: users download it and point to it.
public enum DataDirectory {
    /// The MovieLens 100K directory (the one holding `u.data`, `u1.base`, …), if present:
    /// `$TAPEGRAD_DATA` (the `ml-100k` directory itself or a directory containing it), else
    /// `../shared/data/ml-100k` relative to `base` (a package root or the working directory).
    public static func movieLens100K(base: String = FileManager.default.currentDirectoryPath,
                                     environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        var candidates: [String] = []
        if let env = environment["TAPEGRAD_DATA"], !env.isEmpty {
            candidates += [env, (env as NSString).appendingPathComponent("ml-100k")]
        }
        candidates.append(URL(fileURLWithPath: base).appendingPathComponent("../shared/data/ml-100k").standardized.path)
        return candidates.first { FileManager.default.fileExists(atPath: ($0 as NSString).appendingPathComponent("u.data")) }
    }
}
