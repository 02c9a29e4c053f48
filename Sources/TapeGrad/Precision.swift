import CTapeGradKernels

/// The precision in which the sparse products read the operand they gather (mixed precision).
///
/// Every sparse product of an AutoRec-style model (``matmul(_:_:precision:)-(SparseMatrix,Variable,_)``,
/// ``sampledMatmul(_:_:transposeB:at:precision:)-(Variable,Variable,_,_,_)``,
/// ``sampledAffineSquareLoss(_:_:bias:targets:precision:)``) moves one k-wide row of a dense
/// operand per stored entry, and is bound by those bytes, not by arithmetic. In `bf16` the op
/// rounds that operand once (per call, so once per training step) to bfloat16 and gathers the
/// half-size rows; products and sums stay in Float. Master weights, gradients, the
/// non-gathered operand and optimizer state are untouched Floats, so only the gathered factor
/// of each product carries bf16's relative rounding error (at most 2⁻⁹).
///
/// `Double` has no reduced precision: Double tensors compute in Double whatever is asked (the
/// gradient checks run in Double and check the bf16 ops through their Float results).
public enum Precision: String, Sendable, Codable, CaseIterable {
    /// Float operands: results bit-identical to the reference loops (the default).
    case fp32
    /// bfloat16 copies of the gathered operands, Float accumulation.
    case bf16
}

extension Kernels {
    /// `values` rounded to bfloat16 (to nearest, ties to even; NaN stays NaN), in parallel
    /// chunks. The gathered operands of the `bf16` products are read from such a copy.
    static func bfloat16(_ values: UnsafeBufferPointer<Float>) -> [UInt16] {
        [UInt16](unsafeUninitializedCapacity: values.count) { out, initialized in
            if let source = values.baseAddress {
                Parallelism.forChunks(values.count, grain: 1 << 16) { range in
                    tg_f32_to_bf16(source + range.lowerBound, out.baseAddress! + range.lowerBound, range.count)
                }
            }
            initialized = values.count
        }
    }

    /// Calls `body` with a bfloat16 copy of `values` when `precision` is `bf16` and the scalars
    /// are Float, nil otherwise (fp32, or Double, which has no reduced precision).
    @inline(__always)
    static func withGathered<S: TensorScalar, R>(_ values: [S], precision: Precision,
                                                 _ body: (UnsafePointer<UInt16>?) -> R) -> R {
        guard precision == .bf16, S.self == Float.self else { return body(nil) }
        let copy = values.withUnsafeBufferPointer { p in
            bfloat16(UnsafeBufferPointer(start: UnsafeRawPointer(p.baseAddress)?.assumingMemoryBound(to: Float.self),
                                         count: p.count))
        }
        return copy.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}

/// Float ↔ bfloat16 conversions with the rounding the `bf16` products use.
public enum BFloat16 {
    /// The bfloat16 bits nearest to `x` (ties to even; subnormals rounded, not flushed;
    /// infinities kept; a NaN becomes a quiet NaN of the same sign).
    public static func bits(_ x: Float) -> UInt16 {
        var source = x, result: UInt16 = 0
        tg_f32_to_bf16(&source, &result, 1)
        return result
    }

    /// The Float that bfloat16 bits stand for (exact).
    public static func float(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// `x` rounded to bfloat16 and back: the value a `bf16` product reads for `x`.
    public static func rounded(_ x: Float) -> Float { float(bits(x)) }
}
