// The `autorec` program: see `autorec --help`, README.md and Docs/AutoRec.md.
import AutoRecCLI
import Foundation
import TapeGrad

// Training allocates the same large arrays every epoch; keep freed ones for reuse instead of
// page-faulting them back in each time (see TapeGrad's Allocator.swift).
Allocator.retainFreedMemory()
exit(AutoRecCommand.run(Array(CommandLine.arguments.dropFirst())))
