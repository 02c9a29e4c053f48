import Foundation

/// A safetensors checkpoint held in memory: named tensors as raw little-endian bytes plus
/// string metadata.
///
/// The format (https://github.com/huggingface/safetensors) is the de-facto interchange format for
/// weights: it is read by PyTorch, NumPy, JAX and others without executing code, so saving in it
/// lets TapeGrad models leave and enter the Python world. Layout on disk: an 8-byte little-endian
/// header length N, N bytes of UTF-8 JSON padded with spaces to a multiple of 8, then the tensor
/// data, densely packed.
///
/// Determinism: the header is written as `__metadata__` first (only when metadata is non-empty,
/// keys sorted by their UTF-8 bytes), then the tensors in `entries` order, each as
/// `{"dtype":…,"shape":[…],"data_offsets":[b,e]}` with no whitespace; the data follows in the
/// same order. Equal values therefore serialize to identical bytes. A file that is read back
/// lists its entries in data-offset order, so reading and re-writing one of our files
/// reproduces it byte for byte.
public struct SafeTensors: Sendable, Equatable {
    /// Element types of the format. All are stored little-endian; names are the format's own.
    ///
    /// More dtypes than TapeGrad computes with are listed so that foreign checkpoints
    /// (half-precision weights, boolean masks) load and round-trip as raw bytes.
    public enum DType: String, Sendable, CaseIterable, Hashable {
        /// Booleans, one byte each (masks from NumPy/PyTorch).
        case bool = "BOOL"
        /// Unsigned bytes.
        case u8 = "U8"
        /// Signed bytes.
        case i8 = "I8"
        /// 16-bit unsigned integers.
        case u16 = "U16"
        /// 16-bit signed integers.
        case i16 = "I16"
        /// IEEE half precision; kept as raw bytes (no Swift Float16 on every platform).
        case f16 = "F16"
        /// bfloat16, common in foreign weights; kept as raw bytes.
        case bf16 = "BF16"
        /// 32-bit unsigned integers.
        case u32 = "U32"
        /// 32-bit signed integers (index tensors).
        case i32 = "I32"
        /// Single precision, what TapeGrad trains in.
        case f32 = "F32"
        /// 64-bit unsigned integers.
        case u64 = "U64"
        /// 64-bit signed integers (steps, ids).
        case i64 = "I64"
        /// Double precision, for exact references and gradient checks.
        case f64 = "F64"

        /// Bytes per element; needed to check a tensor's byte range against its shape.
        public var byteSize: Int {
            switch self {
            case .bool, .u8, .i8: return 1
            case .u16, .i16, .f16, .bf16: return 2
            case .u32, .i32, .f32: return 4
            case .u64, .i64, .f64: return 8
            }
        }
    }

    /// One named tensor. Immutable after validation so an entry can never disagree with itself
    /// (byte count always equals shape product × dtype size).
    public struct Entry: Sendable, Equatable {
        /// The key in the header; unique within a checkpoint.
        public let name: String
        /// How to interpret `bytes`.
        public let dtype: DType
        /// Row-major dimensions; `[]` is a scalar (one element).
        public let shape: [Int]
        /// Raw little-endian element bytes, exactly as on disk, so NaN payloads and
        /// signed zeros survive a round trip bit for bit.
        public let bytes: [UInt8]

        /// Number of elements (product of `shape`, 1 for a scalar).
        public var elementCount: Int { bytes.count / dtype.byteSize }

        /// Validates that `bytes` matches `shape` and `dtype`, so malformed entries fail at
        /// construction rather than when the file is written or read elsewhere.
        public init(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) throws(SafeTensorsError) {
            if name == SafeTensors.metadataKey {
                throw .invalidTensor(tensor: name, reason: "'\(SafeTensors.metadataKey)' is reserved for metadata")
            }
            guard let count = SafeTensors.elementCount(of: shape) else {
                throw .invalidTensor(tensor: name, reason: "shape \(shape) has a negative dimension or is too large")
            }
            let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow, byteCount == bytes.count else {
                throw .invalidTensor(tensor: name, reason: "shape \(shape) of \(dtype.rawValue) needs \(overflow ? "too many" : String(byteCount)) bytes, got \(bytes.count)")
            }
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }
    }

    /// The reserved header key holding the string-to-string metadata.
    public static let metadataKey = "__metadata__"

    /// Largest header we accept, the same limit as the reference implementation (100 MB): a
    /// corrupted length field must not make us allocate gigabytes.
    public static let maximumHeaderLength = 100_000_000

    /// The tensors, in header and data order. Mutate through `add`/`remove` so names stay unique.
    public internal(set) var entries: [Entry] = []

    /// Free-form string metadata (the format allows only string values), for example the
    /// training step or the model configuration, written under `__metadata__`.
    public var metadata: [String: String]

    /// Starts an empty checkpoint to which tensors are added.
    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Tensor names in order, for listing a checkpoint without touching its data.
    public var names: [String] { entries.map(\.name) }

    /// Looks a tensor up by name; nil if absent, so callers can treat optional weights simply.
    public func entry(named name: String) -> Entry? {
        entries.first { $0.name == name }
    }

    /// Appends a tensor; throws on a duplicate name so a checkpoint can never become ambiguous.
    public mutating func add(_ entry: Entry) throws(SafeTensorsError) {
        if entries.contains(where: { $0.name == entry.name }) {
            throw .duplicateName(tensor: entry.name)
        }
        entries.append(entry)
    }

    /// Appends a tensor given as raw bytes, for dtypes without a Swift element type (F16, BOOL…).
    public mutating func add(_ name: String, dtype: DType, shape: [Int], bytes: [UInt8]) throws(SafeTensorsError) {
        try add(Entry(name: name, dtype: dtype, shape: shape, bytes: bytes))
    }

    /// Appends typed values (Float, Double, Int32, Int64, UInt8, …) with a shape whose product
    /// must equal `values.count`; the values' bit patterns are stored unchanged.
    public mutating func add<T: SafeTensorsElement>(_ name: String, _ values: [T], shape: [Int]) throws(SafeTensorsError) {
        guard let count = SafeTensors.elementCount(of: shape), count == values.count else {
            throw .invalidTensor(tensor: name, reason: "shape \(shape) does not hold \(values.count) values")
        }
        try add(Entry(name: name, dtype: T.safeTensorsDType, shape: shape, bytes: T.encodeLittleEndian(values)))
    }

    /// Removes and returns a tensor, so a checkpoint can be edited (e.g. to replace a weight).
    @discardableResult
    public mutating func remove(named name: String) -> Entry? {
        guard let i = entries.firstIndex(where: { $0.name == name }) else { return nil }
        return entries.remove(at: i)
    }

    /// Returns a tensor's values as `T`; throws if absent or stored as another dtype, because
    /// reinterpreting or converting silently would hide a mismatched checkpoint.
    public func values<T: SafeTensorsElement>(_ name: String, as type: T.Type = T.self) throws(SafeTensorsError) -> [T] {
        guard let entry = entry(named: name) else { throw .tensorNotFound(tensor: name) }
        guard entry.dtype == T.safeTensorsDType else {
            throw .dtypeMismatch(tensor: name, stored: entry.dtype, requested: T.safeTensorsDType)
        }
        return T.decodeLittleEndian(entry.bytes)
    }

    /// Returns a tensor's shape; throws if absent, mirroring `values`.
    public func shape(of name: String) throws(SafeTensorsError) -> [Int] {
        guard let entry = entry(named: name) else { throw .tensorNotFound(tensor: name) }
        return entry.shape
    }

    // MARK: - Serialization

    /// The JSON header, padded with spaces to a multiple of 8 so the data section is 8-byte
    /// aligned (as the reference writer does), which lets readers map tensors in place.
    func headerBytes() -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        func separator() {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
        }
        if !metadata.isEmpty {
            separator()
            SafeTensorsJSONWriter.appendString(SafeTensors.metadataKey, to: &out)
            out.append(contentsOf: Array(":{".utf8))
            let keys = metadata.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            for (i, key) in keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                SafeTensorsJSONWriter.appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                SafeTensorsJSONWriter.appendString(metadata[key]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        var offset = 0
        for entry in entries {
            separator()
            SafeTensorsJSONWriter.appendString(entry.name, to: &out)
            out.append(contentsOf: Array(":{\"dtype\":".utf8))
            SafeTensorsJSONWriter.appendString(entry.dtype.rawValue, to: &out)
            out.append(contentsOf: Array(",\"shape\":".utf8))
            SafeTensorsJSONWriter.appendIntArray(entry.shape, to: &out)
            out.append(contentsOf: Array(",\"data_offsets\":".utf8))
            SafeTensorsJSONWriter.appendIntArray([offset, offset + entry.bytes.count], to: &out)
            out.append(UInt8(ascii: "}"))
            offset += entry.bytes.count
        }
        out.append(UInt8(ascii: "}"))
        while out.count % 8 != 0 { out.append(UInt8(ascii: " ")) }
        return out
    }

    static func lengthPrefix(_ header: [UInt8]) -> [UInt8] {
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) }
    }

    /// The complete file contents, for in-memory use (tests, sending over a network); `write`
    /// produces the same bytes without building them in one buffer.
    public func serialized() -> [UInt8] {
        let header = headerBytes()
        var out = SafeTensors.lengthPrefix(header)
        out.reserveCapacity(8 + header.count + entries.reduce(0) { $0 + $1.bytes.count })
        out.append(contentsOf: header)
        for entry in entries { out.append(contentsOf: entry.bytes) }
        return out
    }

    /// Saves atomically (``AtomicFile``): a crash or kill at any moment leaves either the
    /// complete previous file or the complete new one, never a torn checkpoint; the bytes are
    /// those of ``serialized()``.
    public func write(to url: URL) throws(SafeTensorsError) {
        let header = headerBytes()
        try AtomicFile.write([SafeTensors.lengthPrefix(header), header] + entries.map(\.bytes), to: url)
    }

    /// Product of the dimensions, or nil if one is negative or the product overflows Int.
    static func elementCount(of shape: [Int]) -> Int? {
        var count = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { return nil }
            count = p
        }
        return count
    }
}
