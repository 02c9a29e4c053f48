import TapeGradTestSupport
import Foundation
import Testing
@testable import TapeGradFormats

// MARK: - Helpers

/// A fresh directory per test, so tests can run in parallel.
private func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("safetensors-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Builds a file from a literal JSON header (padded with spaces to 8) and data bytes, to
/// produce exactly the corruption a test wants.
private func rawFile(_ header: String, data: [UInt8] = [], pad: Bool = true) -> [UInt8] {
    var h = Array(header.utf8)
    if pad { while h.count % 8 != 0 { h.append(0x20) } }
    return withUnsafeBytes(of: UInt64(h.count).littleEndian) { Array($0) } + h + data
}

/// Parses `bytes` and returns the error, recording an issue if parsing succeeded.
private func decodeError(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> SafeTensorsError? {
    do {
        _ = try SafeTensors(serialized: bytes, source: "test.safetensors")
        Issue.record("expected the file to be rejected", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.description.contains("test.safetensors"), sourceLocation: sourceLocation)
        return error
    }
}

private func sample() throws -> SafeTensors {
    var st = SafeTensors(metadata: ["epoch": "3", "model": "autorec"])
    try st.add("w", [Float](arrayLiteral: 1, -2, 3.5, 0, -0.0, 6), shape: [2, 3])
    try st.add("b", [Double](arrayLiteral: 0.25, -1e300), shape: [2])
    try st.add("idx", [Int32](arrayLiteral: 7, -8, .max), shape: [3, 1])
    try st.add("step", [Int64](arrayLiteral: .min), shape: [])
    try st.add("mask", [UInt8](arrayLiteral: 0, 1, 255, 4), shape: [4])
    return st
}

/// 24 bytes of data for a tensor of shape [2,3] F32.
private let data24 = [UInt8](repeating: 0, count: 24)

// MARK: - Round trips

@Suite("SafeTensors round trips")
struct SafeTensorsRoundTripTests {
    @Test func floatSpecialValuesSurviveBitForBit() throws {
        let floats: [Float] = [
            Float(bitPattern: 0x7FC1_2345),  // quiet NaN with payload
            Float(bitPattern: 0x7F80_0001),  // signaling NaN
            Float(bitPattern: 0xFFC0_0001),  // negative NaN with payload
            -0.0, 0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
            .leastNormalMagnitude.nextDown, .greatestFiniteMagnitude, .infinity, -.infinity, 1.0 / 3.0,
        ]
        let doubles: [Double] = [
            Double(bitPattern: 0x7FF8_0000_DEAD_BEEF), Double(bitPattern: 0x7FF0_0000_0000_0001),
            -0.0, .leastNonzeroMagnitude, .leastNormalMagnitude.nextDown, -.greatestFiniteMagnitude, .pi,
        ]
        var st = SafeTensors(metadata: ["note": "special values"])
        try st.add("floats", floats, shape: [3, 4])
        try st.add("doubles", doubles, shape: [7])
        try st.add("ints32", [Int32.min, -1, 0, .max], shape: [2, 2])
        try st.add("ints64", [Int64.min, -1, 0, .max], shape: [4])
        try st.add("bytes", (0...255).map { UInt8($0) }, shape: [16, 16])
        try st.add("scalar", [Float(42)], shape: [])
        try st.add("empty", [Float](), shape: [0, 3])

        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("special.safetensors")
        try st.write(to: url)
        let loaded = try SafeTensors(contentsOf: url)

        #expect(loaded == st)
        #expect(loaded.names == st.names)
        #expect(try loaded.values("floats", as: Float.self).map(\.bitPattern) == floats.map(\.bitPattern))
        #expect(try loaded.values("doubles", as: Double.self).map(\.bitPattern) == doubles.map(\.bitPattern))
        #expect(try loaded.values("ints32", as: Int32.self) == [Int32.min, -1, 0, .max])
        #expect(try loaded.values("ints64", as: Int64.self) == [Int64.min, -1, 0, .max])
        #expect(try loaded.values("bytes", as: UInt8.self) == (0...255).map { UInt8($0) })
        #expect(try loaded.shape(of: "scalar") == [])
        #expect(try loaded.values("scalar", as: Float.self) == [42])
        #expect(try loaded.shape(of: "empty") == [0, 3])
        #expect(try loaded.values("empty", as: Float.self) == [])
        // Reading and re-writing reproduces the file byte for byte.
        let onDisk = try [UInt8](Data(contentsOf: url))
        #expect(loaded.serialized() == onDisk)
        #expect(st.serialized() == onDisk)
    }

    @Test func littleEndianLayoutAndHeaderAreAsSpecified() throws {
        var st = SafeTensors()
        try st.add("a", [Float(1), 2], shape: [2])
        try st.add("b", [Int32(-2)], shape: [1])
        let bytes = st.serialized()
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[1],"data_offsets":[8,12]}}"#
        var padded = Array(header.utf8)
        while padded.count % 8 != 0 { padded.append(0x20) }
        #expect(Array(bytes[0..<8]) == [UInt8(padded.count), 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[8..<(8 + padded.count)]) == padded)
        let dataStart = 8 + padded.count
        let data: [UInt8] = [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40, 0xFE, 0xFF, 0xFF, 0xFF]
        #expect(Array(bytes[dataStart...]) == data)
        #expect(dataStart % 8 == 0)
    }

    @Test func identicalCheckpointsAreByteIdentical() throws {
        var a = SafeTensors()
        a.metadata["z"] = "1"
        a.metadata["a"] = "2"
        a.metadata["m"] = "3"
        var b = SafeTensors(metadata: ["m": "3", "a": "2", "z": "1"])
        try a.add("x", [Double](arrayLiteral: 1, 2, 3), shape: [3])
        try b.add("x", [Double](arrayLiteral: 1, 2, 3), shape: [3])
        #expect(a.serialized() == b.serialized())
        let text = String(decoding: a.serialized()[8...], as: UTF8.self)
        #expect(text.hasPrefix(#"{"__metadata__":{"a":"2","m":"3","z":"1"},"x":"#))
    }

    @Test func metadataRoundTripsIncludingEscapes() throws {
        let metadata = [
            "plain": "value",
            "quote\"back\\slash": "line\nbreak\ttab\r\u{1}\u{1F}",
            "unicode": "Grüße, 日本語, 🎉",
            "json-looking": #"{"lr": 0.001, "layers": [500, 500]}"#,
            "": "empty key",
            "empty value": "",
        ]
        var st = SafeTensors(metadata: metadata)
        try st.add("t", [Int64(1)], shape: [1])
        let loaded = try SafeTensors(serialized: st.serialized())
        #expect(loaded.metadata == metadata)
        #expect(loaded == st)

        // No metadata: no __metadata__ key at all (as the reference writer does with None).
        let bare = try SafeTensors(serialized: SafeTensors().serialized())
        #expect(bare.metadata.isEmpty && bare.entries.isEmpty)
        #expect(!String(decoding: SafeTensors().serialized(), as: UTF8.self).contains("__metadata__"))
    }

    @Test func readerAcceptsForeignOrderingWhitespaceAndEscapes() throws {
        // Tensors listed out of data order, extra whitespace, escaped name, unpadded header,
        // unknown extra field: all legal.
        let header = "\n { \"b\" : {\"data_offsets\":[4,8], \"shape\":[1], \"dtype\":\"I32\", \"extra\": null},\n"
            + #" "\u0061\ud83c\udf89" : {"dtype":"F32","shape":[],"data_offsets":[0,4]} }"#
        let data: [UInt8] = [0, 0, 0x80, 0x3F, 5, 0, 0, 0]
        let st = try SafeTensors(serialized: rawFile(header, data: data, pad: false))
        #expect(st.names == ["a🎉", "b"])
        #expect(try st.values("a🎉", as: Float.self) == [1])
        #expect(try st.values("b", as: Int32.self) == [5])
    }

    @Test func atomicWriteReplacesAndLeavesNoTemporaryFiles() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.safetensors")
        var first = SafeTensors(metadata: ["v": "1"])
        try first.add("w", [Float](repeating: 1, count: 10), shape: [10])
        try first.write(to: url)
        #expect(chmod(url.path, 0o600) == 0)

        var second = SafeTensors(metadata: ["v": "2"])
        try second.add("w", [Float](repeating: 2, count: 1000), shape: [10, 100])
        try second.write(to: url)
        #expect(try SafeTensors(contentsOf: url) == second)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
        let mode = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func writeIntoMissingDirectoryFailsWithIOError() throws {
        let url = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/x.safetensors")
        let error = try #require(throws: SafeTensorsError.self) { try SafeTensors().write(to: url) }
        guard case .io(let file, _, let code) = error else { Issue.record("wrong error \(error)"); return }
        #expect(file == url.path)
        #expect(code == ENOENT)
        #expect(error.description.contains(url.path))
    }

    @Test func readingMissingFileFailsWithIOError() throws {
        let url = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString).safetensors")
        let error = try #require(throws: SafeTensorsError.self) { try SafeTensors(contentsOf: url) }
        #expect(error == .io(file: url.path, operation: "open", code: ENOENT))
    }
}

// MARK: - In-memory API

@Suite("SafeTensors building and querying")
struct SafeTensorsAPITests {
    @Test func addValidatesShapeNamesAndDTypes() throws {
        var st = SafeTensors()
        #expect(throws: SafeTensorsError.invalidTensor(tensor: "w", reason: "shape [2, 2] does not hold 3 values")) {
            try st.add("w", [Float](arrayLiteral: 1, 2, 3), shape: [2, 2])
        }
        #expect(throws: SafeTensorsError.self) { try st.add("neg", [Float](), shape: [-1, 0]) }
        #expect(throws: SafeTensorsError.self) { try st.add("raw", dtype: .f32, shape: [2], bytes: [0, 0, 0]) }
        #expect(throws: SafeTensorsError.self) { try st.add("__metadata__", [Float(1)], shape: [1]) }
        #expect(throws: SafeTensorsError.self) {
            try st.add("huge", dtype: .f64, shape: [Int.max / 4, 2], bytes: [])
        }
        try st.add("w", [Float](arrayLiteral: 1, 2, 3, 4), shape: [2, 2])
        #expect(throws: SafeTensorsError.duplicateName(tensor: "w")) {
            try st.add("w", [Float](arrayLiteral: 1), shape: [1])
        }
        #expect(throws: SafeTensorsError.dtypeMismatch(tensor: "w", stored: .f32, requested: .f64)) {
            _ = try st.values("w", as: Double.self)
        }
        #expect(throws: SafeTensorsError.tensorNotFound(tensor: "nope")) { _ = try st.values("nope", as: Float.self) }
        #expect(st.remove(named: "w") != nil)
        #expect(st.entries.isEmpty)
        try st.add("half", dtype: .f16, shape: [2], bytes: [0x00, 0x3C, 0x00, 0xC0])
        #expect(st.entry(named: "half")?.elementCount == 2)
    }
}

// MARK: - Corruption

@Suite("SafeTensors rejects corrupt files")
struct SafeTensorsCorruptionTests {
    @Test func tooShortFiles() {
        for n in 0..<8 {
            #expect(decodeError([UInt8](repeating: 0, count: n)) == .fileTooShort(file: "test.safetensors", size: n))
        }
    }

    @Test func headerLengthLargerThanFile() {
        var bytes = rawFile(#"{}"#)
        bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64.max.littleEndian) { Array($0) })
        #expect(decodeError(bytes) == .headerLengthExceedsFile(file: "test.safetensors", headerLength: .max, bytesAfterLength: 8))
        bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(9).littleEndian) { Array($0) })
        #expect(decodeError(bytes) == .headerLengthExceedsFile(file: "test.safetensors", headerLength: 9, bytesAfterLength: 8))
    }

    @Test func headerOverTheLimitIsRejectedWithoutReadingIt() throws {
        // A sparse file: 100 MB of holes, so the check costs nothing but the header length.
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("big.safetensors")
        let length = UInt64(SafeTensors.maximumHeaderLength + 1)
        try Data(withUnsafeBytes(of: length.littleEndian) { Array($0) }).write(to: url)
        #expect(truncate(url.path, off_t(length + 8)) == 0)
        let error = try #require(throws: SafeTensorsError.self) { try SafeTensors(contentsOf: url) }
        #expect(error == .headerTooLarge(file: url.path, headerLength: length, limit: SafeTensors.maximumHeaderLength))
    }

    @Test func invalidUTF8() {
        var bytes = rawFile(#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        bytes[10] = 0xFF  // inside the name
        #expect(decodeError(bytes) == .invalidUTF8(file: "test.safetensors"))
    }

    @Test(arguments: [
        #"{"a": }"#, #"{"a":1"#, #"{"a":1} x"#, #"{"a":1,}"#, #"{'a':1}"#, #"{"a\q":1}"#,
        "{\"a\u{1}\":1}", #"{"a":01}"#, #"{"a":1.}"#, #"{"a":-}"#, #"{"\ud800":1}"#, #"{"a":tru}"#, "",
        String(repeating: "[", count: 10_000),
    ])
    func invalidJSON(header: String) {
        let error = decodeError(rawFile(header))
        guard case .invalidJSON(let file, _, _) = error else {
            Issue.record("expected invalidJSON, got \(String(describing: error))")
            return
        }
        #expect(file == "test.safetensors")
    }

    @Test func notASafetensorsHeader() {
        #expect(decodeError(rawFile("[]")) == .invalidHeader(file: "test.safetensors", reason: "top level is a array, not an object"))
        let dup = #"{"a":{"dtype":"F32","dtype":"F32","shape":[],"data_offsets":[0,4]}}"#
        guard case .invalidHeader(_, let reason) = decodeError(rawFile(dup, data: [0, 0, 0, 0])) else {
            Issue.record("expected invalidHeader"); return
        }
        #expect(reason.contains("'a'") && reason.contains("dtype"))
    }

    @Test func missingFields() {
        let f = "test.safetensors"
        #expect(decodeError(rawFile(#"{"t":{"shape":[2,3],"data_offsets":[0,24]}}"#, data: data24))
                == .missingField(file: f, tensor: "t", field: "dtype"))
        #expect(decodeError(rawFile(#"{"t":{"dtype":"F32","data_offsets":[0,24]}}"#, data: data24))
                == .missingField(file: f, tensor: "t", field: "shape"))
        #expect(decodeError(rawFile(#"{"t":{"dtype":"F32","shape":[2,3]}}"#, data: data24))
                == .missingField(file: f, tensor: "t", field: "data_offsets"))
    }

    @Test(arguments: [
        (#"{"t":{"dtype":32,"shape":[2,3],"data_offsets":[0,24]}}"#, "dtype"),
        (#"{"t":{"dtype":"F32","shape":"2,3","data_offsets":[0,24]}}"#, "shape"),
        (#"{"t":{"dtype":"F32","shape":[2,3.0],"data_offsets":[0,24]}}"#, "shape"),
        (#"{"t":{"dtype":"F32","shape":[2,"3"],"data_offsets":[0,24]}}"#, "shape"),
        (#"{"t":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24,24]}}"#, "data_offsets"),
        (#"{"t":{"dtype":"F32","shape":[2,3],"data_offsets":[0]}}"#, "data_offsets"),
        (#"{"t":{"dtype":"F32","shape":[2,3],"data_offsets":{"begin":0}}}"#, "data_offsets"),
        (#"{"t":{"dtype":"F32","shape":[2,3],"data_offsets":[-24,0]}}"#, "data_offsets"),
        (#"{"t":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24e0]}}"#, "data_offsets"),
        (#"{"t":{"dtype":"F32","shape":[2,3],"data_offsets":[0,99999999999999999999]}}"#, "data_offsets"),
        (#"{"t":[1,2,3]}"#, "(tensor description)"),
    ])
    func wrongFieldTypes(header: String, field: String) {
        let error = decodeError(rawFile(header, data: data24))
        guard case .wrongFieldType(_, let tensor, let f, _) = error else {
            Issue.record("expected wrongFieldType for \(field), got \(String(describing: error))"); return
        }
        #expect(tensor == "t")
        #expect(f == field)
        #expect(error?.description.contains("'t'") == true)
    }

    @Test func unknownDType() {
        #expect(decodeError(rawFile(#"{"t":{"dtype":"F128","shape":[2,3],"data_offsets":[0,24]}}"#, data: data24))
                == .unknownDType(file: "test.safetensors", tensor: "t", dtype: "F128"))
    }

    @Test func shapeAndOffsetsDisagree() {
        #expect(decodeError(rawFile(#"{"t":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#, data: Array(data24[0..<20])))
                == .sizeMismatch(file: "test.safetensors", tensor: "t", expectedBytes: 24, actualBytes: 20))
        #expect(decodeError(rawFile(#"{"t":{"dtype":"F64","shape":[2,3],"data_offsets":[0,24]}}"#, data: data24))
                == .sizeMismatch(file: "test.safetensors", tensor: "t", expectedBytes: 48, actualBytes: 24))
    }

    @Test func offsetsOutOfRange() {
        #expect(decodeError(rawFile(#"{"t":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}"#, data: Array(data24[0..<23])))
                == .offsetsOutOfRange(file: "test.safetensors", tensor: "t", begin: 0, end: 24, dataSize: 23))
        #expect(decodeError(rawFile(#"{"t":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#, data: data24))
                == .offsetsOutOfRange(file: "test.safetensors", tensor: "t", begin: 8, end: 0, dataSize: 24))
    }

    @Test func overlappingTensors() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        #expect(decodeError(rawFile(header, data: Array(data24[0..<12])))
                == .overlappingTensors(file: "test.safetensors", tensor: "b", overlapsWith: "a"))
        // The same range twice is an overlap too.
        let same = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}"#
        #expect(decodeError(rawFile(same, data: Array(data24[0..<8])))
                == .overlappingTensors(file: "test.safetensors", tensor: "b", overlapsWith: "a"))
    }

    @Test func gapsAndTrailingData() {
        let gap = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}"#
        #expect(decodeError(rawFile(gap, data: Array(data24[0..<20])))
                == .gapBeforeTensor(file: "test.safetensors", tensor: "b", gapStart: 8, gapEnd: 12))
        let leading = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        #expect(decodeError(rawFile(leading, data: Array(data24[0..<12])))
                == .gapBeforeTensor(file: "test.safetensors", tensor: "a", gapStart: 0, gapEnd: 4))
        let trailing = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        #expect(decodeError(rawFile(trailing, data: Array(data24[0..<12])))
                == .trailingData(file: "test.safetensors", usedBytes: 8, dataSize: 12))
        #expect(decodeError(rawFile("{}", data: [1])) == .trailingData(file: "test.safetensors", usedBytes: 0, dataSize: 1))
    }

    @Test func duplicateNames() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        #expect(decodeError(rawFile(header, data: Array(data24[0..<8])))
                == .duplicateTensorName(file: "test.safetensors", tensor: "a"))
    }

    @Test func negativeDimensions() {
        #expect(decodeError(rawFile(#"{"t":{"dtype":"F32","shape":[-2,-3],"data_offsets":[0,24]}}"#, data: data24))
                == .negativeDimension(file: "test.safetensors", tensor: "t", shape: [-2, -3]))
    }

    @Test func shapeOverflow() {
        let f = "test.safetensors"
        #expect(decodeError(rawFile(#"{"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,24]}}"#, data: data24))
                == .shapeOverflow(file: f, tensor: "t", shape: [4294967296, 4294967296]))
        // Element count fits, byte count does not.
        #expect(decodeError(rawFile(#"{"t":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,24]}}"#, data: data24))
                == .shapeOverflow(file: f, tensor: "t", shape: [2305843009213693952]))
        // A dimension that does not even fit in 64 bits.
        guard case .shapeOverflow = decodeError(rawFile(#"{"t":{"dtype":"U8","shape":[99999999999999999999],"data_offsets":[0,24]}}"#, data: data24)) else {
            Issue.record("expected shapeOverflow"); return
        }
    }

    @Test func badMetadata() {
        let f = "test.safetensors"
        #expect(decodeError(rawFile(#"{"__metadata__":{"lr":0.1}}"#))
                == .invalidMetadata(file: f, key: "lr", reason: "value must be a string, found a number"))
        #expect(decodeError(rawFile(#"{"__metadata__":["a"]}"#))
                == .invalidMetadata(file: f, key: nil, reason: "must be an object, found a array"))
        #expect(decodeError(rawFile(#"{"__metadata__":{"k":"1","k":"2"}}"#))
                == .invalidMetadata(file: f, key: "k", reason: "key appears more than once"))
        #expect(decodeError(rawFile(#"{"__metadata__":{},"__metadata__":{}}"#))
                == .invalidMetadata(file: f, key: nil, reason: "'__metadata__' appears more than once"))
    }

    @Test func truncationAtEveryByteIsRejected() throws {
        let full = try sample().serialized()
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("truncated.safetensors")
        for length in 0..<full.count {
            let prefix = Array(full[0..<length])
            #expect(throws: SafeTensorsError.self, "length \(length)") { try SafeTensors(serialized: prefix) }
            try Data(prefix).write(to: url)
            #expect(throws: SafeTensorsError.self, "file length \(length)") { try SafeTensors(contentsOf: url) }
        }
        #expect(try SafeTensors(serialized: full) == sample())
    }

    @Test func byteFlipsInLengthAndHeaderAreRejectedOrDetected() throws {
        let original = try sample()
        let full = original.serialized()
        let headerEnd = 8 + Int(full[0]) + (Int(full[1]) << 8)
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        var rejected = 0, changed = 0, harmless = 0
        for position in 0..<headerEnd {
            for mask: UInt8 in [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFF] {
                var bytes = full
                bytes[position] ^= mask
                do {
                    let decoded = try SafeTensors(serialized: bytes)
                    if decoded != original {
                        changed += 1  // e.g. a letter of a name or metadata value changed: visible
                    } else {
                        // Only whitespace turning into other whitespace may go unnoticed.
                        #expect(whitespace.contains(full[position]) && whitespace.contains(bytes[position]),
                                "flip at \(position) with mask \(mask) went undetected")
                        harmless += 1
                    }
                } catch {
                    rejected += 1
                }
            }
        }
        #expect(rejected > changed)
        #expect(rejected + changed + harmless == headerEnd * 9)
    }
}

// MARK: - Interoperability with the Python reference implementation

/// Runs python3 with `script` and `arguments`; nil if python3 cannot be started.
private func runPython(_ script: String, _ arguments: [String] = []) throws -> (status: Int32, stdout: String, stderr: String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let out = Pipe()
    let errFile = FileManager.default.temporaryDirectory.appendingPathComponent("py-stderr-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errFile) }
    process.standardOutput = out
    process.standardError = try FileHandle(forWritingTo: errFile)
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let err = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
    return (process.terminationStatus, String(decoding: data, as: UTF8.self), err)
}

/// Whether python3 with numpy and safetensors can be used; evaluated once.
private let pythonSafetensorsAvailable: Bool = {
    guard let result = try? runPython("import numpy, safetensors.numpy") else { return false }
    return result.status == 0
}()

private let pythonSkipMessage: Comment =
    "skipped: needs python3 with the numpy and safetensors modules (pip install safetensors numpy)"

@Suite("SafeTensors interoperability with the Python safetensors package")
struct SafeTensorsPythonInteropTests {
    @Test(.enabled(if: pythonSafetensorsAvailable, pythonSkipMessage))
    func pythonReadsWhatSwiftWrites() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("from-swift.safetensors")
        var st = SafeTensors(metadata: ["epoch": "7", "name": "Grüße \"quoted\""])
        try st.add("w", (1...6).map { Float($0) }, shape: [2, 3])
        try st.add("special", [Float(bitPattern: 0x7FC1_2345), -0.0, .leastNonzeroMagnitude, -.infinity], shape: [4])
        try st.add("d", [Double](arrayLiteral: 0.1, -Double.leastNormalMagnitude / 3, .pi), shape: [3, 1])
        try st.add("i", [Int32](arrayLiteral: .min, -1, .max), shape: [3])
        try st.add("l", [Int64](arrayLiteral: .min, 42, .max), shape: [1, 3])
        try st.add("u", [UInt8](arrayLiteral: 0, 128, 255), shape: [3])
        try st.add("scalar", [Double(3)], shape: [])
        try st.write(to: url)

        let script = """
        import sys, json
        import numpy as np
        from safetensors import safe_open
        from safetensors.numpy import load_file
        d = load_file(sys.argv[1])
        with safe_open(sys.argv[1], framework="np") as f:
            meta = f.metadata()
        assert d["w"].dtype == np.float32 and d["w"].shape == (2, 3), d["w"]
        assert d["w"][1, 2] == 6.0 and d["w"][0, 1] == 2.0
        assert np.signbit(d["special"][1]) and d["special"][1] == 0
        assert d["d"].dtype == np.float64 and d["d"][2, 0] == np.pi
        assert d["i"].dtype == np.int32 and d["i"][0] == -2**31
        assert d["l"].dtype == np.int64 and d["l"][0, 2] == 2**63 - 1
        assert d["u"].dtype == np.uint8 and list(d["u"]) == [0, 128, 255]
        assert d["scalar"].shape == () and d["scalar"] == 3.0
        out = {k: {"dtype": str(v.dtype), "shape": list(v.shape), "hex": v.tobytes().hex()} for k, v in d.items()}
        print(json.dumps({"tensors": out, "metadata": meta}))
        """
        let result = try #require(try runPython(script, [url.path]))
        try #require(result.status == 0, "python failed: \(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["metadata"] as? [String: String] == st.metadata)
        let tensors = try #require(json["tensors"] as? [String: [String: Any]])
        #expect(Set(tensors.keys) == Set(st.names))
        let numpyName: [SafeTensors.DType: String] = [.f32: "float32", .f64: "float64", .i32: "int32", .i64: "int64", .u8: "uint8"]
        for entry in st.entries {
            let t = try #require(tensors[entry.name])
            #expect(t["dtype"] as? String == numpyName[entry.dtype])
            #expect(t["shape"] as? [Int] == entry.shape)
            #expect(t["hex"] as? String == entry.bytes.map { String(format: "%02x", $0) }.joined(), "\(entry.name)")
        }
    }

    @Test(.enabled(if: pythonSafetensorsAvailable, pythonSkipMessage))
    func swiftReadsWhatPythonWrites() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("from-python.safetensors")
        let script = """
        import sys, json
        import numpy as np
        from safetensors.numpy import save_file
        t = {
            "w": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
            "nan": np.array([np.nan, -0.0, np.finfo(np.float64).tiny / 8, np.inf], dtype=np.float64),
            "i": np.array([[-7], [2**31 - 1]], dtype=np.int32),
            "l": np.array([-(2**63), 5], dtype=np.int64),
            "u": np.arange(250, 256, dtype=np.uint8),
            "h": np.array([1.5, -2.0], dtype=np.float16),
            "b": np.array([True, False, True]),
            "e": np.zeros((0, 4), dtype=np.float32),
        }
        save_file(t, sys.argv[1], metadata={"format": "np", "note": "héllo"})
        print(json.dumps({k: {"shape": list(v.shape), "hex": v.tobytes().hex()} for k, v in t.items()}))
        """
        let result = try #require(try runPython(script, [url.path]))
        try #require(result.status == 0, "python failed: \(result.stderr)")
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [String: Any]])

        let st = try SafeTensors(contentsOf: url)
        #expect(st.metadata == ["format": "np", "note": "héllo"])
        #expect(Set(st.names) == Set(expected.keys))
        for (name, info) in expected {
            let entry = try #require(st.entry(named: name))
            #expect(info["shape"] as? [Int] == entry.shape, "\(name)")
            #expect(info["hex"] as? String == entry.bytes.map { String(format: "%02x", $0) }.joined(), "\(name)")
        }
        #expect(try st.values("w", as: Float.self) == [0, 0.25, 0.5, 0.75, 1, 1.25])
        let nan = try st.values("nan", as: Double.self)
        #expect(nan[0].isNaN && nan[1] == 0 && nan[1].sign == .minus && nan[2].isSubnormal && nan[3] == .infinity)
        #expect(try st.values("i", as: Int32.self) == [-7, .max])
        #expect(try st.values("l", as: Int64.self) == [.min, 5])
        #expect(try st.values("u", as: UInt8.self) == [250, 251, 252, 253, 254, 255])
        #expect(st.entry(named: "h")?.dtype == .f16)
        #expect(st.entry(named: "b")?.dtype == .bool)
        #expect(st.entry(named: "e")?.shape == [0, 4])
    }
}

// MARK: - Crash safety


@Suite("SafeTensors crash safety")
struct SafeTensorsCrashSafetyTests {
    /// Temporary files of saves to `target` that are in progress (or were abandoned), with sizes.
    private func temporaryFiles(in dir: URL, for target: URL) -> [String: Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        var result: [String: Int] = [:]
        for name in names where name.hasPrefix(".\(target.lastPathComponent).") && name.hasSuffix(".tmp") {
            let size = (try? FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(name).path)[.size] as? Int) ?? 0
            result[name] = size
        }
        return result
    }

    @Test func killDuringSaveLeavesPreviousFileLoadable() throws {
        guard let helper = safetensorsWriterHelper() else {
            Issue.record("""
                helper executable 'safetensors-writer' not found next to the test binary; it is built \
                by `swift build` from its executable target (or set SAFETENSORS_WRITER to its path)
                """)
            return
        }
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("ckpt.safetensors")
        var original = SafeTensors(metadata: ["iteration": "0"])
        try original.add("weights", [Float](repeating: -1, count: 1000), shape: [1000])
        try original.add("step", [Int64(0)], shape: [1])
        try original.write(to: target)

        let megabytes = 48
        var killedWithTemporaryFile = 0
        for round in 0..<3 {
            let before = Set(temporaryFiles(in: dir, for: target).keys)
            let process = Process()
            process.executableURL = helper
            process.arguments = [target.path, String(megabytes)]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()

            if round > 0 {
                // Let at least one save complete, so the "previous file" is the helper's own.
                var seen = ""
                while !seen.contains("saved") {
                    let chunk = out.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    seen += String(decoding: chunk, as: UTF8.self)
                }
                #expect(seen.contains("saved"), "helper exited before its first save")
            }
            // Wait until a new save is under way (its temporary file has data), then kill.
            let deadline = Date().addingTimeInterval(60)
            var inProgress = false
            while Date() < deadline && process.isRunning {
                if temporaryFiles(in: dir, for: target).contains(where: { !before.contains($0.key) && $0.value > 0 }) {
                    inProgress = true
                    break
                }
                usleep(200)
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(inProgress, "round \(round): never saw a save in progress")
            #expect(process.terminationReason == .uncaughtSignal)
            if temporaryFiles(in: dir, for: target).contains(where: { !before.contains($0.key) }) {
                killedWithTemporaryFile += 1
            }

            let loaded = try SafeTensors(contentsOf: target)
            let iteration = try #require(Int(loaded.metadata["iteration"] ?? ""))
            if round == 0 {
                #expect(iteration == 0, "the first save cannot have completed")
                #expect(loaded == original)
            } else {
                #expect(iteration >= 1)
                let weights = try loaded.values("weights", as: Float.self)
                #expect(weights.count == megabytes * (1 << 20) / 4)
                #expect(weights.allSatisfy { $0 == Float(iteration) })
                #expect(try loaded.values("step", as: Int64.self) == [Int64(iteration)])
            }
        }
        // The kills really interrupted saves: the abandoned temporary files are still there.
        #expect(killedWithTemporaryFile >= 1)
    }
}
