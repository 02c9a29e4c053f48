// Allocator.retainFreedMemory is checked against what glibc's allocator is seen to do with a
// large block, not against a guess about the platform. Under AddressSanitizer, ThreadSanitizer
// (or any other malloc replacement) glibc never sees the program's blocks, and the call must
// report false; with glibc's malloc it must report true and the block must come from the heap.

#if canImport(Glibc)
import Foundation
import Glibc
import Testing
import TapeGrad

/// What glibc's allocator holds, from its own report (`malloc_info`), whichever malloc the
/// program calls.
private struct GlibcHeap {
    /// Bytes in blocks glibc has handed out: arenas' memory minus their free chunks, plus mapped blocks.
    var inUse: Int
    /// Bytes in blocks that got a mapping of their own.
    var mapped: Int

    init(_ libc: UnsafeMutableRawPointer) throws {
        // <malloc.h> is not part of Swift's Glibc module.
        let symbol = try #require(dlsym(libc, "malloc_info"))
        let mallocInfo = unsafeBitCast(symbol, to: (@convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32).self)
        var buffer: UnsafeMutablePointer<CChar>? = nil
        var length = 0
        let stream = try #require(open_memstream(&buffer, &length))
        let status = mallocInfo(0, stream)
        fclose(stream)
        defer { free(buffer) }
        try #require(status == 0)
        let xml = String(cString: try #require(buffer))
        // The process-wide totals follow the last arena's </heap>; "rest" includes the top chunk.
        let totals = xml.ranges(of: "</heap>").last.map { xml[$0.upperBound...] } ?? xml[...]
        func total(_ pattern: Regex<(Substring, Substring)>) throws -> Int {
            let match = try #require(totals.firstMatch(of: pattern), "malloc_info's totals: \(totals)")
            return try #require(Int(match.1))
        }
        let fast = try total(#/<total type="fast" count="\d+" size="(\d+)"/>/#)
        let rest = try total(#/<total type="rest" count="\d+" size="(\d+)"/>/#)
        mapped = try total(#/<total type="mmap" count="\d+" size="(\d+)"/>/#)
        inUse = try total(#/<system type="current" size="(\d+)"/>/#) - fast - rest + mapped
    }
}

@Test("Allocator.retainFreedMemory reports true exactly when glibc serves the program's malloc, and then a 40 MiB block comes from the heap")
func retainFreedMemory() throws {
    let libc = try #require(dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD))
    defer { dlclose(libc) }
    let reported = Allocator.retainFreedMemory()

    // The program's malloc, called through a pointer so the optimizer cannot drop the block.
    let mallocSymbol = try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc"))
    let programMalloc = unsafeBitCast(mallocSymbol, to: (@convention(c) (Int) -> UnsafeMutableRawPointer?).self)
    let size = 40 << 20
    let before = try GlibcHeap(libc)
    let block = try #require(programMalloc(size))
    let after = try GlibcHeap(libc)
    free(block)
    // Other tests allocate meanwhile, but not half of 40 MiB in these microseconds.
    let glibcServes = after.inUse - before.inUse >= size / 2
    let mappedOnItsOwn = after.mapped - before.mapped >= size / 2

    #expect(reported == glibcServes,
            "retainFreedMemory() returned \(reported), but glibc's heap went from \(before) to \(after) for a \(size)-byte block")
    // glibc never raises its mmap threshold above 32 MiB by itself, so without M_MMAP_MAX = 0
    // the block gets a mapping of its own (unmapped again when freed); with it, the block comes
    // from an arena (it fits in a thread arena's 64 MiB heap).
    if glibcServes {
        #expect(!mappedOnItsOwn, "the \(size)-byte block got a mapping of its own (\(before) → \(after)): M_MMAP_MAX = 0 is not in effect")
    }
}
#endif
