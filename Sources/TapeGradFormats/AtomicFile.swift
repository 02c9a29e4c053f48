import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Crash-safe file replacement with POSIX calls: the bytes go to a temporary file in the same
/// directory, which is fsynced and then renamed over the target, and the directory is fsynced.
/// A crash or kill at any moment therefore leaves either the complete previous file or the
/// complete new one, never a torn file. An existing file's permission bits are kept. On failure
/// the temporary file is removed (a killed process can leave one behind, named
/// `.<name>.<pid>.<random>.tmp`, which is harmless and can be deleted).
enum AtomicFile {
    /// Writes `parts` one after the other as the new contents of `url` (the parts are not
    /// joined in memory first, so a large checkpoint is never held twice).
    static func write(_ parts: [[UInt8]], to url: URL) throws(SafeTensorsError) {
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

        for part in parts { try writeAll(fd, part, file: path) }

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

    /// `write(2)` until every byte is out, retrying on EINTR.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], file: String) throws(SafeTensorsError) {
        var failure: SafeTensorsError?
        bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let chunk = min(buffer.count - done, 1 << 30)
                let n = posixWrite(fd, buffer.baseAddress! + done, chunk)
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
}

/// `write(2)`, reachable by this name from inside `AtomicFile`, whose `write(_:to:)` shadows it.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
