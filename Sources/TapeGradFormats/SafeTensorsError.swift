#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that can go wrong reading, writing or building a safetensors checkpoint.
///
/// One case per distinct problem so tests and callers can react precisely (for example, retry on
/// `.io` but not on corruption), and a `description` that names the file, the tensor and the
/// problem, because a checkpoint error is usually read by a person looking at a log.
/// `file` is the path given to the reader or writer, or `<memory>` for in-memory buffers.
public enum SafeTensorsError: Error, Sendable, Equatable, CustomStringConvertible {
    // MARK: Reading: file layout
    /// The file cannot even hold the 8-byte header length, so it is not a checkpoint at all.
    case fileTooShort(file: String, size: Int)
    /// The header length claims more bytes than the file has; checked before allocating anything.
    case headerLengthExceedsFile(file: String, headerLength: UInt64, bytesAfterLength: Int)
    /// The header is larger than `SafeTensors.maximumHeaderLength`, which the reference
    /// implementation also refuses; such files are almost certainly corrupt or hostile.
    case headerTooLarge(file: String, headerLength: UInt64, limit: Int)
    /// The header is not valid UTF-8.
    case invalidUTF8(file: String)
    /// The header is not valid JSON; `offset` is a byte offset within the header.
    case invalidJSON(file: String, offset: Int, reason: String)
    /// The JSON is valid but not a safetensors header (for example not an object, or a
    /// field given twice inside one tensor).
    case invalidHeader(file: String, reason: String)
    /// The `__metadata__` entry is not an object of string values, or repeats a key.
    case invalidMetadata(file: String, key: String?, reason: String)

    // MARK: Reading: tensor descriptions
    /// Two tensors have the same name, which would make lookups ambiguous.
    case duplicateTensorName(file: String, tensor: String)
    /// A required field (`dtype`, `shape`, `data_offsets`) is absent.
    case missingField(file: String, tensor: String, field: String)
    /// A field exists but holds the wrong kind of JSON value (or an integer that does not fit).
    case wrongFieldType(file: String, tensor: String, field: String, expected: String)
    /// The dtype string is not one we can size; we refuse rather than guess a layout.
    case unknownDType(file: String, tensor: String, dtype: String)
    /// A dimension is negative.
    case negativeDimension(file: String, tensor: String, shape: [Int])
    /// The element count or byte count of the shape does not fit in an Int.
    case shapeOverflow(file: String, tensor: String, shape: [Int])
    /// The byte range given by `data_offsets` does not match shape × dtype size.
    case sizeMismatch(file: String, tensor: String, expectedBytes: Int, actualBytes: Int)
    /// `data_offsets` is reversed or reaches beyond the end of the data section.
    case offsetsOutOfRange(file: String, tensor: String, begin: Int, end: Int, dataSize: Int)
    /// Two tensors share bytes, so writing one would corrupt the other.
    case overlappingTensors(file: String, tensor: String, overlapsWith: String)
    /// Bytes before a tensor belong to no tensor; the format requires dense packing.
    case gapBeforeTensor(file: String, tensor: String, gapStart: Int, gapEnd: Int)
    /// Bytes after the last tensor belong to no tensor (or the file has extra data).
    case trailingData(file: String, usedBytes: Int, dataSize: Int)

    // MARK: I/O
    /// A system call failed; `code` is the errno value.
    case io(file: String, operation: String, code: Int32)
    /// The file became shorter while we read it (another process truncated it).
    case unexpectedEndOfFile(file: String, offset: Int)

    // MARK: Building and querying in memory
    /// A tensor given to `add` is inconsistent (shape vs. byte or value count, negative
    /// dimension, reserved name).
    case invalidTensor(tensor: String, reason: String)
    /// `add` was given a name that is already present.
    case duplicateName(tensor: String)
    /// No tensor with this name.
    case tensorNotFound(tensor: String)
    /// The stored dtype is not the one the typed accessor asked for; we never convert silently.
    case dtypeMismatch(tensor: String, stored: SafeTensors.DType, requested: SafeTensors.DType)

    /// Human-readable, one line, naming file, tensor and problem.
    public var description: String {
        func at(_ file: String) -> String { "safetensors file '\(file)'" }
        switch self {
        case let .fileTooShort(file, size):
            return "\(at(file)): file is \(size) bytes, shorter than the 8-byte header length"
        case let .headerLengthExceedsFile(file, headerLength, rest):
            return "\(at(file)): header length \(headerLength) exceeds the \(rest) bytes that follow it"
        case let .headerTooLarge(file, headerLength, limit):
            return "\(at(file)): header length \(headerLength) exceeds the limit of \(limit) bytes"
        case let .invalidUTF8(file):
            return "\(at(file)): header is not valid UTF-8"
        case let .invalidJSON(file, offset, reason):
            return "\(at(file)): header is not valid JSON at header byte \(offset): \(reason)"
        case let .invalidHeader(file, reason):
            return "\(at(file)): invalid header: \(reason)"
        case let .invalidMetadata(file, key, reason):
            let k = key.map { " key '\($0)'" } ?? ""
            return "\(at(file)): invalid __metadata__\(k): \(reason)"
        case let .duplicateTensorName(file, tensor):
            return "\(at(file)): tensor '\(tensor)' appears more than once"
        case let .missingField(file, tensor, field):
            return "\(at(file)): tensor '\(tensor)' has no '\(field)' field"
        case let .wrongFieldType(file, tensor, field, expected):
            return "\(at(file)): tensor '\(tensor)' field '\(field)' must be \(expected)"
        case let .unknownDType(file, tensor, dtype):
            return "\(at(file)): tensor '\(tensor)' has unknown dtype '\(dtype)'"
        case let .negativeDimension(file, tensor, shape):
            return "\(at(file)): tensor '\(tensor)' has a negative dimension in shape \(shape)"
        case let .shapeOverflow(file, tensor, shape):
            return "\(at(file)): tensor '\(tensor)' shape \(shape) is too large (size overflows)"
        case let .sizeMismatch(file, tensor, expected, actual):
            return "\(at(file)): tensor '\(tensor)' needs \(expected) bytes for its shape and dtype but data_offsets span \(actual)"
        case let .offsetsOutOfRange(file, tensor, begin, end, dataSize):
            return "\(at(file)): tensor '\(tensor)' data_offsets [\(begin), \(end)] are invalid for a data section of \(dataSize) bytes"
        case let .overlappingTensors(file, tensor, other):
            return "\(at(file)): tensor '\(tensor)' overlaps tensor '\(other)'"
        case let .gapBeforeTensor(file, tensor, start, end):
            return "\(at(file)): data bytes \(start)..<\(end) before tensor '\(tensor)' belong to no tensor"
        case let .trailingData(file, used, dataSize):
            return "\(at(file)): tensors cover \(used) bytes but the data section has \(dataSize)"
        case let .io(file, operation, code):
            return "\(at(file)): \(operation) failed: \(String(cString: strerror(code))) (errno \(code))"
        case let .unexpectedEndOfFile(file, offset):
            return "\(at(file)): file ended unexpectedly at byte \(offset) (truncated while reading?)"
        case let .invalidTensor(tensor, reason):
            return "safetensors: tensor '\(tensor)': \(reason)"
        case let .duplicateName(tensor):
            return "safetensors: a tensor named '\(tensor)' already exists"
        case let .tensorNotFound(tensor):
            return "safetensors: no tensor named '\(tensor)'"
        case let .dtypeMismatch(tensor, stored, requested):
            return "safetensors: tensor '\(tensor)' is \(stored.rawValue), not \(requested.rawValue)"
        }
    }
}
