import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension SafeTensors {
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
}
