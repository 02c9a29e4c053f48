/// A Swift type whose values can be stored in a safetensors tensor of one fixed dtype.
///
/// Conversion goes through the unsigned bit pattern, never through arithmetic, so floating-point
/// values (NaN payloads, -0.0, subnormals) are stored and restored exactly.
public protocol SafeTensorsElement: Sendable {
    /// Unsigned integer of the same width, used as the on-disk little-endian representation.
    associatedtype SafeTensorsBits: FixedWidthInteger & UnsignedInteger
    /// The dtype recorded in the header for this type.
    static var safeTensorsDType: SafeTensors.DType { get }
    /// The exact bit pattern of the value.
    var safeTensorsBits: SafeTensorsBits { get }
    /// Rebuilds a value from its exact bit pattern.
    init(safeTensorsBits: SafeTensorsBits)
}

extension SafeTensorsElement {
    /// Little-endian bytes of `values`; a plain memory copy on little-endian hosts.
    static func encodeLittleEndian(_ values: [Self]) -> [UInt8] {
        #if _endian(little)
        if MemoryLayout<Self>.size == MemoryLayout<SafeTensorsBits>.size {
            return values.withUnsafeBytes { Array($0) }
        }
        #endif
        var out: [UInt8] = []
        out.reserveCapacity(values.count * MemoryLayout<SafeTensorsBits>.size)
        for v in values {
            withUnsafeBytes(of: v.safeTensorsBits.littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }

    /// Values from little-endian bytes whose count is a multiple of the element size.
    static func decodeLittleEndian(_ bytes: [UInt8]) -> [Self] {
        let width = MemoryLayout<SafeTensorsBits>.size
        let count = bytes.count / width
        return bytes.withUnsafeBytes { raw in
            (0..<count).map { i in
                Self(safeTensorsBits: SafeTensorsBits(littleEndian: raw.loadUnaligned(fromByteOffset: i * width, as: SafeTensorsBits.self)))
            }
        }
    }
}

/// Stored as F32.
extension Float: SafeTensorsElement {
    /// F32 is the format's single-precision type.
    public static var safeTensorsDType: SafeTensors.DType { .f32 }
    /// The IEEE bit pattern, kept exactly.
    public var safeTensorsBits: UInt32 { bitPattern }
    /// Restores the exact IEEE bit pattern.
    public init(safeTensorsBits: UInt32) { self.init(bitPattern: safeTensorsBits) }
}

/// Stored as F64.
extension Double: SafeTensorsElement {
    /// F64 is the format's double-precision type.
    public static var safeTensorsDType: SafeTensors.DType { .f64 }
    /// The IEEE bit pattern, kept exactly.
    public var safeTensorsBits: UInt64 { bitPattern }
    /// Restores the exact IEEE bit pattern.
    public init(safeTensorsBits: UInt64) { self.init(bitPattern: safeTensorsBits) }
}

/// Stored as I32.
extension Int32: SafeTensorsElement {
    /// I32 holds 32-bit signed integers (e.g. index tensors).
    public static var safeTensorsDType: SafeTensors.DType { .i32 }
    /// Two's-complement bits.
    public var safeTensorsBits: UInt32 { UInt32(bitPattern: self) }
    /// Rebuilds from two's-complement bits.
    public init(safeTensorsBits: UInt32) { self.init(bitPattern: safeTensorsBits) }
}

/// Stored as I64.
extension Int64: SafeTensorsElement {
    /// I64 holds 64-bit signed integers (e.g. step counters, ids).
    public static var safeTensorsDType: SafeTensors.DType { .i64 }
    /// Two's-complement bits.
    public var safeTensorsBits: UInt64 { UInt64(bitPattern: self) }
    /// Rebuilds from two's-complement bits.
    public init(safeTensorsBits: UInt64) { self.init(bitPattern: safeTensorsBits) }
}

/// Stored as U8.
extension UInt8: SafeTensorsElement {
    /// U8 holds bytes (masks, quantized data).
    public static var safeTensorsDType: SafeTensors.DType { .u8 }
    /// The byte itself.
    public var safeTensorsBits: UInt8 { self }
    /// The byte itself.
    public init(safeTensorsBits: UInt8) { self = safeTensorsBits }
}

/// Stored as I8.
extension Int8: SafeTensorsElement {
    /// I8 holds signed bytes.
    public static var safeTensorsDType: SafeTensors.DType { .i8 }
    /// Two's-complement bits.
    public var safeTensorsBits: UInt8 { UInt8(bitPattern: self) }
    /// Rebuilds from two's-complement bits.
    public init(safeTensorsBits: UInt8) { self.init(bitPattern: safeTensorsBits) }
}

/// Stored as I16.
extension Int16: SafeTensorsElement {
    /// I16 holds 16-bit signed integers.
    public static var safeTensorsDType: SafeTensors.DType { .i16 }
    /// Two's-complement bits.
    public var safeTensorsBits: UInt16 { UInt16(bitPattern: self) }
    /// Rebuilds from two's-complement bits.
    public init(safeTensorsBits: UInt16) { self.init(bitPattern: safeTensorsBits) }
}

/// Stored as U16.
extension UInt16: SafeTensorsElement {
    /// U16 holds 16-bit unsigned integers.
    public static var safeTensorsDType: SafeTensors.DType { .u16 }
    /// The value's bits.
    public var safeTensorsBits: UInt16 { self }
    /// The value's bits.
    public init(safeTensorsBits: UInt16) { self = safeTensorsBits }
}

/// Stored as U32.
extension UInt32: SafeTensorsElement {
    /// U32 holds 32-bit unsigned integers.
    public static var safeTensorsDType: SafeTensors.DType { .u32 }
    /// The value's bits.
    public var safeTensorsBits: UInt32 { self }
    /// The value's bits.
    public init(safeTensorsBits: UInt32) { self = safeTensorsBits }
}

/// Stored as U64.
extension UInt64: SafeTensorsElement {
    /// U64 holds 64-bit unsigned integers.
    public static var safeTensorsDType: SafeTensors.DType { .u64 }
    /// The value's bits.
    public var safeTensorsBits: UInt64 { self }
    /// The value's bits.
    public init(safeTensorsBits: UInt64) { self = safeTensorsBits }
}
