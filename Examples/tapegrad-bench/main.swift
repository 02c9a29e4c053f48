// tapegrad-bench: performance benchmarks for TapeGrad and AutoRec.
//
// Each subcommand lives in its own file as a function `run<Name>Benchmark(_ arguments:)`:
//   autorec  AutoRecBenchmark.swift  (I-/U-AutoRec full-batch training epochs)
//   ops      OpsBenchmark.swift      (tape overhead on tiny tensors)
//   matmul   MatmulBenchmark.swift   (dense GEMM GFLOP/s, with a numpy/OpenBLAS reference)
//   sparse   SparseBenchmark.swift   (the sparse products of an AutoRec epoch, one by one)
//   embedding EmbeddingBenchmark.swift (row gather of a batch of ids, forward and backward)
// Shared helpers: Arguments.swift (hand-written flag parsing), Report.swift (timing, peak RSS,
// JSON/text output).

import TapeGrad
#if canImport(Glibc)
import Glibc
#endif

/// name → (one-line summary, runner). Add new benchmarks here.
let subcommands: [(name: String, summary: String, run: ([String]) throws -> Void)] = [
    ("autorec", "seconds per full-batch I-AutoRec/U-AutoRec training epoch (k = 500, Rprop)", runAutoRecBenchmark),
    ("ops", "tape overhead: microseconds per tiny op (forward + backward)", runOpsBenchmark),
    ("matmul", "dense GEMM GFLOP/s, optionally beside numpy/OpenBLAS", runMatmulBenchmark),
    ("sparse", "milliseconds per sparse product of an AutoRec epoch (spmm, transposed spmm, sddmm)", runSparseBenchmark),
    ("embedding", "microseconds per row gather (embedding lookup) of a batch of ids, forward and backward", runEmbeddingBenchmark),
]

let usage = """
    usage: tapegrad-bench <subcommand> [options]

    subcommands:
    \(subcommands.map { "  \($0.name.padding(toLength: 10, withPad: " ", startingAt: 0))\($0.summary)" }.joined(separator: "\n"))

      autorec --shape ml-100k|ml-1m|ml-10m|netflix|UxIxR [--model item|user] [--epochs N]
              [--threads N] [--seed N] [--precision fp32|bf16] [--json] [--compare]
          Synthetic ratings of that shape, k = 500 Float, Rprop, full-batch epochs through
          AutoRec.objective + Rprop.update. Prints the median seconds per epoch and peak RSS.
          --precision bf16: the sparse products gather bfloat16 copies (mixed precision).
          --compare also runs reference/autorec_torch.py (PyTorch, dense) when torch imports.
      matmul [--shape MxKxN] [--dtype float|double] [--transpose NN|TN|NT|TT] [--threads N]
             [--reps N] [--clock wall|cpu] [--json] [--compare]
          C = op(A)·op(B) through the GEMM kernel; --compare runs numpy on the same shape.
          --clock cpu times both by process CPU seconds (GFLOP per CPU-second; fair with
          1 thread on a loaded machine, where wall time measures the other tenants).
      ops [--iterations N] [--json]
          Records tiny (4-element) add/mul/sigmoid/sum ops on a tape and takes the gradient.
      sparse [--shape ml-1m|…|UxIxR] [--model item|user] [--hidden K] [--threads N] [--reps N]
             [--precision fp32|bf16|both] [--json]
          Times the sparse products of an AutoRec epoch one by one on that pattern.
      embedding [--table ROWSxDIM] [--batch B] [--threads N] [--reps N] [--json]
          gather(table, at: ids) for B random Int32 ids, forward and backward (dense gradient),
          beside the time to zero-fill a table-sized array.

      --help, -h   this text
    """

@MainActor
func main() -> Int32 {
    var args = Array(CommandLine.arguments.dropFirst())
    guard let first = args.first else {
        printError("tapegrad-bench: missing subcommand (autorec, matmul, ops); see --help")
        return 2
    }
    if first == "--help" || first == "-h" || first == "help" {
        print(usage)
        return 0
    }
    args.removeFirst()
    guard let command = subcommands.first(where: { $0.name == first }) else {
        printError("tapegrad-bench: unknown subcommand '\(first)'; see --help")
        return 2
    }
    if args.contains("--help") || args.contains("-h") {
        print(usage)
        return 0
    }
    do {
        // As in training and the autorec program: subnormals flushed to zero, freed memory
        // kept for reuse (see TapeGrad's Denormals.swift and Allocator.swift).
        Allocator.retainFreedMemory()
        try withDenormalsFlushedToZero { try command.run(args) }
        return 0
    } catch let error as UsageError {
        printError("tapegrad-bench \(first): \(error.message)")
        return 2
    } catch {
        printError("tapegrad-bench \(first): \(error)")
        return 1
    }
}

exit(main())
