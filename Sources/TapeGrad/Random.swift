/// A SplitMix64 pseudo-random generator.
///
/// Every random number in TapeGrad comes from a generator that lives in the package, so a seed
/// gives the same numbers on every run, platform and Swift version (the standard library's
/// `SystemRandomNumberGenerator` cannot be seeded, and Foundation's generators differ between
/// platforms). SplitMix64 is tiny, passes BigCrush and is the seeding generator recommended by
/// the xoshiro authors. It is a value type: copying it forks the stream.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's whole state; advancing it by a fixed odd constant defines the stream.
    public var state: UInt64

    /// Creates a generator whose stream is determined by `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// Returns the next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform Double in [0, 1) built from the top 53 bits, the same on every platform.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform integer in `0..<bound` (Lemire's multiply-shift with rejection, unbiased).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "SplitMix64.nextInt(below:): bound must be positive, got \(bound)")
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            let threshold = (0 &- b) % b
            while product.low < threshold {
                product = next().multipliedFullWidth(by: b)
            }
        }
        return Int(product.high)
    }

    /// A standard normal sample (Box–Muller; one of the pair is discarded so the stream
    /// position depends only on the number of calls).
    public mutating func nextNormal() -> Double {
        var u1 = nextUnit()
        while u1 <= 0 { u1 = nextUnit() }
        let u2 = nextUnit()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// Shuffles `array` in place (Fisher–Yates), deterministic for the generator's state.
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            let j = nextInt(below: i + 1)
            if i != j { array.swapAt(i, j) }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

@inline(__always) private func _log(_ x: Double) -> Double { log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { cos(x) }
