// Training allocates the same large arrays every step (activations, gradients, transposes:
// tens to hundreds of MB each). glibc's malloc serves every block above its mmap threshold
// (at most 32 MiB) with a fresh mmap and returns it with munmap when freed, so each step
// page-faults all of that memory back in and the kernel zeroes it page by page. Measured on the
// ML-10M-shaped I-AutoRec epoch (1 thread): 16.5% of the samples in the kernel's clear_page,
// and 7.7 s → 4.3–4.9 s per epoch with freed memory kept in the process, at the same peak RSS
// (the same sizes are allocated every step, so freed blocks are reused rather than piling up).

#if canImport(Glibc)
import Glibc
#endif

/// Process-wide allocator settings for programs that train.
public enum Allocator {
    /// Makes glibc's malloc keep freed memory in the process for reuse: large blocks come from
    /// the heap instead of separate mappings (`M_MMAP_MAX = 0`), and free memory at the top of
    /// the heap is returned to the system only above 1 GiB (`M_TRIM_THRESHOLD`). A process-wide
    /// choice, so the library never makes it on its own: programs call this once at start (the
    /// `autorec` program and `tapegrad-bench` do). Returns whether the settings now apply to the
    /// malloc the process uses: false where there is no glibc, and where malloc is not glibc's
    /// (every sanitizer that checks memory or threads replaces it, as a preloaded allocator does).
    @discardableResult
    public static func retainFreedMemory() -> Bool {
        #if canImport(Glibc)
        // RTLD_DEFAULT: the definitions the program's own calls bind to.
        let programScope = UnsafeMutableRawPointer(bitPattern: 0)
        // ThreadSanitizer replaces malloc but leaves glibc's mallopt reachable, which would accept
        // settings for an allocator nobody calls; AddressSanitizer replaces both and refuses.
        guard let libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD) else { return false }
        defer { dlclose(libc) }
        guard let glibcMalloc = dlsym(libc, "malloc"), dlsym(programScope, "malloc") == glibcMalloc else { return false }
        // <malloc.h> is not part of Swift's Glibc module: look mallopt up at run time.
        guard let symbol = dlsym(programScope, "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        // <malloc.h>: M_TRIM_THRESHOLD is -1, M_MMAP_MAX -4.
        let trimThreshold: Int32 = -1, mmapMax: Int32 = -4
        return mallopt(mmapMax, 0) == 1 && mallopt(trimThreshold, 1 << 30) == 1
        #else
        return false
        #endif
    }
}
