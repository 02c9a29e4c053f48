#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A problem with a data file (ratings or titles), located as precisely as possible.
///
/// The description reads like a compiler diagnostic, `path:line: problem`, e.g.
/// `ratings.csv:17: rating 'abc' is not a number`, so the user can jump to the offending line;
/// problems that concern the whole file (unreadable, empty) have no line number.
public struct DataFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, for code that reacts to particular problems (tests, fallbacks).
    public enum Kind: Sendable, Equatable {
        /// The path cannot be opened or read (missing, permissions, I/O error).
        case unreadable
        /// The path is a directory.
        case isDirectory
        /// The file holds no data line (nothing, or only blank lines / a byte-order mark).
        case empty
        /// The file holds a header line and nothing else.
        case headerOnly
        /// The format cannot be recognised from the first data line.
        case unknownFormat
        /// A line uses another separator than the one detected for the file.
        case wrongSeparator
        /// Too few fields on a line.
        case missingFields
        /// Too many fields on a line.
        case extraFields
        /// A field that must be a number is not one.
        case notANumber
        /// A user or item id is negative.
        case negativeId
        /// An id does not fit in Int64.
        case idTooLarge
        /// A rating is NaN or infinite.
        case notFinite
        /// A rating is ≤ 0 or > 100.
        case ratingOutOfRange
        /// A quoted field is not closed (titles CSV).
        case unterminatedQuote
        /// A ratings line is longer than ``RatingsFile/maximumLineLength`` bytes.
        case lineTooLong
    }

    /// The path as given by the caller.
    public let file: String
    /// The 1-based line number, or `nil` for problems of the whole file.
    public let line: Int?
    /// The kind of problem.
    public let kind: Kind
    /// A sentence describing the problem, without file and line.
    public let message: String

    /// Creates an error; `line` is 1-based.
    public init(file: String, line: Int?, kind: Kind, message: String) {
        self.file = file
        self.line = line
        self.kind = kind
        self.message = message
    }

    /// `file:line: message`, or `file: message` without a line.
    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}

/// The bytes of a whole file, memory-mapped when possible.
///
/// Mapping avoids copying gigabytes of ratings through a read buffer and lets the kernel read
/// ahead; pipes and other unmappable files fall back to `read(2)` into a heap buffer.
final class FileBytes {
    let base: UnsafeRawPointer?
    let count: Int
    private let mapped: Bool

    private init(base: UnsafeRawPointer?, count: Int, mapped: Bool) {
        self.base = base
        self.count = count
        self.mapped = mapped
    }

    deinit {
        guard let base else { return }
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        } else {
            base.deallocate()
        }
    }

    /// The bytes as a buffer, valid while `self` is alive.
    var buffer: UnsafeBufferPointer<UInt8> {
        guard let base else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: count)
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    /// Reads `path`, throwing ``DataFileError`` (`.unreadable`, `.isDirectory`).
    static func read(_ path: String) throws -> FileBytes {
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            throw DataFileError(file: path, line: nil, kind: .unreadable, message: "cannot open: \(errnoText())")
        }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 {
            throw DataFileError(file: path, line: nil, kind: .unreadable, message: "cannot stat: \(errnoText())")
        }
        let type = st.st_mode & S_IFMT
        if type == S_IFDIR {
            throw DataFileError(file: path, line: nil, kind: .isDirectory, message: "is a directory, not a file")
        }
        if type == S_IFREG {
            let size = Int(st.st_size)
            if size == 0 { return FileBytes(base: nil, count: 0, mapped: false) }
            #if os(Linux)
            // Populating the page tables in one call is far cheaper than a fault per page.
            let flags = MAP_PRIVATE | MAP_POPULATE
            #else
            let flags = MAP_PRIVATE
            #endif
            let p = mmap(nil, size, PROT_READ, flags, fd, 0)
            if let p, p != MAP_FAILED {
                _ = madvise(p, size, MADV_SEQUENTIAL)
                return FileBytes(base: UnsafeRawPointer(p), count: size, mapped: true)
            }
        }
        // Not mappable: read to the end.
        var capacity = 1 << 16
        var buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        var used = 0
        while true {
            if used == capacity {
                let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 16)
                bigger.copyMemory(from: buffer, byteCount: used)
                buffer.deallocate()
                buffer = bigger
                capacity *= 2
            }
            let got = systemRead(fd, buffer + used, capacity - used)
            if got < 0 {
                if errno == EINTR { continue }
                let text = errnoText()
                buffer.deallocate()
                let kind: DataFileError.Kind = errno == EISDIR ? .isDirectory : .unreadable
                throw DataFileError(file: path, line: nil, kind: kind, message: "cannot read: \(text)")
            }
            if got == 0 { break }
            used += got
        }
        return FileBytes(base: UnsafeRawPointer(buffer), count: used, mapped: false)
    }
}

/// `read(2)`, named apart from the many `read` methods in this module.
@inline(__always)
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}

/// An array of `count` elements that `initialize` must write completely, without the zero-fill
/// pass `Array(repeating:count:)` would make over memory that is overwritten anyway.
func largeArray<T>(count: Int, _ initialize: (UnsafeMutableBufferPointer<T>) throws -> Void) rethrows -> [T] {
    try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        try initialize(buffer)
        initialized = count
    }
}
