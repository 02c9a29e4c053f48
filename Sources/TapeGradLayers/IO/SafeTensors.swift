import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
    public private(set) var entries: [Entry] = []

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

    private static func lengthPrefix(_ header: [UInt8]) -> [UInt8] {
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

    /// Saves atomically: the bytes go to a temporary file in the same directory, which is
    /// fsynced and then renamed over `url`, and the directory is fsynced. A crash or kill at
    /// any moment therefore leaves either the complete previous file or the complete new one,
    /// never a torn checkpoint. An existing file's permission bits are kept. On failure the
    /// temporary file is removed (a killed process can leave one behind, named
    /// `.<name>.<pid>.<random>.tmp`, which is harmless and can be deleted).
    public func write(to url: URL) throws(SafeTensorsError) {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        let tempPath = (directory as NSString).appendingPathComponent(
            ".\(url.lastPathComponent).\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp")

        var mode: mode_t = 0o644
        var existing = stat()
        if stat(path, &existing) == 0 { mode = existing.st_mode & 0o7777 }

        let fd = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .io(file: path, operation: "create temporary file '\(tempPath)'", code: errno) }
        var committed = false
        var closed = false
        defer {
            if !closed { _ = close(fd) }
            if !committed { _ = unlink(tempPath) }
        }
        _ = fchmod(fd, mode)  // open's mode is filtered by umask; keep the old file's bits exactly

        let header = headerBytes()
        try SafeTensors.writeAll(fd, SafeTensors.lengthPrefix(header), file: path)
        try SafeTensors.writeAll(fd, header, file: path)
        for entry in entries { try SafeTensors.writeAll(fd, entry.bytes, file: path) }

        guard fsync(fd) == 0 else { throw .io(file: path, operation: "fsync", code: errno) }
        closed = true
        guard close(fd) == 0 else { throw .io(file: path, operation: "close", code: errno) }
        guard rename(tempPath, path) == 0 else { throw .io(file: path, operation: "rename", code: errno) }
        committed = true

        // Make the rename itself durable. Failure here is reported: the new file is in place,
        // but the caller asked for a durable save and should know it may not be.
        let dirfd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirfd >= 0 else { throw .io(file: path, operation: "open directory for fsync", code: errno) }
        defer { _ = close(dirfd) }
        guard fsync(dirfd) == 0 else { throw .io(file: path, operation: "fsync directory", code: errno) }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], file: String) throws(SafeTensorsError) {
        var failure: SafeTensorsError?
        bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let chunk = min(buffer.count - done, 1 << 30)
                let n = safeTensorsPOSIXWrite(fd, buffer.baseAddress! + done, chunk)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .io(file: file, operation: "write", code: errno)
                    return
                }
                done += n
            }
        }
        if let failure { throw failure }
    }

    // MARK: - Deserialization

    /// Reads and fully validates a checkpoint (see `SafeTensorsError` for every check). Nothing
    /// is allocated from the header's claims before they are checked against the real file
    /// size, so a corrupt or hostile file fails with an error, never a crash or a huge allocation.
    public init(contentsOf url: URL) throws(SafeTensorsError) {
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(file: path, operation: "open", code: errno) }
        defer { _ = close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io(file: path, operation: "stat", code: errno) }
        self = try SafeTensors.decode(file: path, size: Int(info.st_size)) { offset, buffer throws(SafeTensorsError) in
            var done = 0
            while done < buffer.count {
                let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw .io(file: path, operation: "read", code: errno)
                }
                if n == 0 { throw .unexpectedEndOfFile(file: path, offset: offset + done) }
                done += n
            }
        }
    }

    /// Parses a checkpoint from memory with the same validation as `init(contentsOf:)`;
    /// `source` names the buffer in error messages.
    public init(serialized bytes: [UInt8], source: String = "<memory>") throws(SafeTensorsError) {
        self = try SafeTensors.decode(file: source, size: bytes.count) { offset, buffer throws(SafeTensorsError) in
            bytes.withUnsafeBytes { src in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[offset..<(offset + buffer.count)]))
            }
        }
    }

    /// Shared reader: `read(offset, buffer)` fills `buffer` from byte `offset` of a source of
    /// `size` bytes. Callers only ever request ranges already checked to lie inside `size`.
    private static func decode(
        file: String, size: Int,
        read: (Int, UnsafeMutableRawBufferPointer) throws(SafeTensorsError) -> Void
    ) throws(SafeTensorsError) -> SafeTensors {
        func readBytes(_ offset: Int, _ count: Int) throws(SafeTensorsError) -> [UInt8] {
            var failure: SafeTensorsError?
            let result = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                do throws(SafeTensorsError) {
                    try read(offset, UnsafeMutableRawBufferPointer(buffer))
                } catch {
                    failure = error
                    buffer.initialize(repeating: 0)
                }
                initialized = count
            }
            if let failure { throw failure }
            return result
        }

        guard size >= 8 else { throw .fileTooShort(file: file, size: size) }
        let prefix = try readBytes(0, 8)
        let headerLength = prefix.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        let available = size - 8
        guard headerLength <= UInt64(available) else {
            throw .headerLengthExceedsFile(file: file, headerLength: headerLength, bytesAfterLength: available)
        }
        guard headerLength <= UInt64(maximumHeaderLength) else {
            throw .headerTooLarge(file: file, headerLength: headerLength, limit: maximumHeaderLength)
        }
        let n = Int(headerLength)
        let headerData = try readBytes(8, n)
        guard String(validating: headerData, as: UTF8.self) != nil else { throw .invalidUTF8(file: file) }

        let json: SafeTensorsJSON
        do {
            json = try SafeTensorsJSONParser.parse(headerData)
        } catch {
            throw .invalidJSON(file: file, offset: error.offset, reason: error.reason)
        }
        guard case .object(let members) = json else {
            throw .invalidHeader(file: file, reason: "top level is a \(json.kindName), not an object")
        }

        let dataSize = available - n
        let dataStart = 8 + n
        var metadata: [String: String]?
        var described: [(index: Int, name: String, dtype: DType, shape: [Int], begin: Int, end: Int)] = []
        var seen = Set<String>()

        for (index, member) in members.enumerated() {
            let name = member.key
            if name == metadataKey {
                guard metadata == nil else {
                    throw .invalidMetadata(file: file, key: nil, reason: "'\(metadataKey)' appears more than once")
                }
                guard case .object(let pairs) = member.value else {
                    throw .invalidMetadata(file: file, key: nil, reason: "must be an object, found a \(member.value.kindName)")
                }
                var dict: [String: String] = [:]
                for (key, value) in pairs {
                    guard case .string(let s) = value else {
                        throw .invalidMetadata(file: file, key: key, reason: "value must be a string, found a \(value.kindName)")
                    }
                    guard dict.updateValue(s, forKey: key) == nil else {
                        throw .invalidMetadata(file: file, key: key, reason: "key appears more than once")
                    }
                }
                metadata = dict
                continue
            }
            guard seen.insert(name).inserted else { throw .duplicateTensorName(file: file, tensor: name) }
            guard case .object(let fields) = member.value else {
                throw .wrongFieldType(file: file, tensor: name, field: "(tensor description)", expected: "an object")
            }
            var fieldMap: [String: SafeTensorsJSON] = [:]
            for (key, value) in fields {
                guard fieldMap.updateValue(value, forKey: key) == nil else {
                    throw .invalidHeader(file: file, reason: "tensor '\(name)' has field '\(key)' more than once")
                }
            }

            guard let dtypeValue = fieldMap["dtype"] else { throw .missingField(file: file, tensor: name, field: "dtype") }
            guard case .string(let dtypeName) = dtypeValue else {
                throw .wrongFieldType(file: file, tensor: name, field: "dtype", expected: "a string")
            }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw .unknownDType(file: file, tensor: name, dtype: dtypeName)
            }

            guard let shapeValue = fieldMap["shape"] else { throw .missingField(file: file, tensor: name, field: "shape") }
            guard case .array(let dims) = shapeValue, dims.allSatisfy(\.isIntegerLiteral) else {
                throw .wrongFieldType(file: file, tensor: name, field: "shape", expected: "an array of integers")
            }
            // A dimension too large for Int is reported as overflow; its sign decides first.
            var shape: [Int] = []
            var tooLarge = false
            for dim in dims {
                if let d = dim.exactInteger {
                    shape.append(d)
                } else if case .number(let text) = dim, text.hasPrefix("-") {
                    shape.append(Int.min)
                } else {
                    shape.append(Int.max)
                    tooLarge = true
                }
            }
            if shape.contains(where: { $0 < 0 }) { throw .negativeDimension(file: file, tensor: name, shape: shape) }
            guard !tooLarge, let count = elementCount(of: shape) else {
                throw .shapeOverflow(file: file, tensor: name, shape: shape)
            }
            let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow else { throw .shapeOverflow(file: file, tensor: name, shape: shape) }

            guard let offsetsValue = fieldMap["data_offsets"] else {
                throw .missingField(file: file, tensor: name, field: "data_offsets")
            }
            guard case .array(let offsets) = offsetsValue, offsets.count == 2,
                  let begin = offsets[0].exactInteger, let end = offsets[1].exactInteger, begin >= 0, end >= 0 else {
                throw .wrongFieldType(file: file, tensor: name, field: "data_offsets",
                                      expected: "an array of two non-negative 64-bit integers")
            }
            guard begin <= end, end <= dataSize else {
                throw .offsetsOutOfRange(file: file, tensor: name, begin: begin, end: end, dataSize: dataSize)
            }
            guard end - begin == byteCount else {
                throw .sizeMismatch(file: file, tensor: name, expectedBytes: byteCount, actualBytes: end - begin)
            }
            described.append((index, name, dtype, shape, begin, end))
        }

        // Dense packing: sorted by position, each tensor must start where the previous ended.
        described.sort { ($0.begin, $0.end, $0.index) < ($1.begin, $1.end, $1.index) }
        var cursor = 0
        var previousName: String?
        for t in described {
            if t.begin < cursor, let previousName {
                throw .overlappingTensors(file: file, tensor: t.name, overlapsWith: previousName)
            }
            if t.begin > cursor {
                throw .gapBeforeTensor(file: file, tensor: t.name, gapStart: cursor, gapEnd: t.begin)
            }
            cursor = t.end
            previousName = t.name
        }
        guard cursor == dataSize else { throw .trailingData(file: file, usedBytes: cursor, dataSize: dataSize) }

        var result = SafeTensors(metadata: metadata ?? [:])
        for t in described {
            let bytes = try readBytes(dataStart + t.begin, t.end - t.begin)
            result.entries.append(try Entry(name: t.name, dtype: t.dtype, shape: t.shape, bytes: bytes))
        }
        return result
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

/// `write(2)`, reachable by this name from inside `SafeTensors`, whose `write(to:)` shadows it.
private func safeTensorsPOSIXWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}

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
