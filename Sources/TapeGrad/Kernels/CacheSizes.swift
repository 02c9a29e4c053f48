#if canImport(Foundation)
import Foundation
#endif

/// The data-cache sizes the blocked kernels plan for, read once from Linux's sysfs
/// (`/sys/devices/system/cpu/cpu0/cache/index*/`).
///
/// Why not constants: the project runs on machines whose caches differ by 2× (1 MiB L2 on the
/// AMD Zen 4 machines, 2 MiB on the Intel ones), and a block sized for the larger L2 thrashes
/// the smaller one. Where sysfs is missing the fallbacks are the smaller, safer sizes.
public enum CacheSizes {
    /// Bytes of L2 per core (fallback 1 MiB).
    public static let l2: Int = size(level: 2) ?? (1 << 20)
    /// Bytes of the last-level (L3) cache shared by the cores (fallback 16 MiB).
    public static let l3: Int = size(level: 3) ?? (16 << 20)

    /// The size of the first data or unified cache of `level` that cpu0 reports.
    static func size(level: Int) -> Int? {
        #if os(Linux) && canImport(Foundation)
        for index in 0..<8 {
            let directory = "/sys/devices/system/cpu/cpu0/cache/index\(index)/"
            guard let levelText = try? String(contentsOfFile: directory + "level", encoding: .utf8),
                  Int(levelText.trimmingCharacters(in: .whitespacesAndNewlines)) == level,
                  let type = try? String(contentsOfFile: directory + "type", encoding: .utf8),
                  type.trimmingCharacters(in: .whitespacesAndNewlines) != "Instruction",
                  let sizeText = try? String(contentsOfFile: directory + "size", encoding: .utf8)
            else { continue }
            return parseSize(sizeText)
        }
        #endif
        return nil
    }

    /// "1024K" → 1048576; "32M" → 33554432; a plain number is bytes. Nil when malformed or 0.
    static func parseSize(_ text: String) -> Int? {
        var t = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        var unit = 1
        switch t.last {
        case "K", "k": unit = 1 << 10; t = t.dropLast()
        case "M", "m": unit = 1 << 20; t = t.dropLast()
        case "G", "g": unit = 1 << 30; t = t.dropLast()
        default: break
        }
        guard let n = Int(t), n > 0 else { return nil }
        return n * unit
    }
}
