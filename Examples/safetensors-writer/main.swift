// safetensors-writer: saves a large checkpoint to one path over and over until it is killed.
//
// It exists for the crash-safety test of `SafeTensors.write(to:)`: the test starts it, sends
// SIGKILL while a save is in progress, and checks that the file at the path is still a complete,
// loadable checkpoint. It is also a quick way to measure save throughput on a machine.
//
// Usage: safetensors-writer PATH [MEGABYTES] [ITERATIONS]
//   Save number k (from 1) holds tensor "weights" (F32, MEGABYTES MiB, every element equal to k),
//   tensor "step" (I64, [k]) and metadata "iteration" = "k". ITERATIONS = 0 (the default) means
//   forever. After each save it prints "saved k" on standard output.
import Foundation
import TapeGradLayers
import TapeGradFormats

let arguments = CommandLine.arguments
guard arguments.count >= 2, arguments.count <= 4 else {
    FileHandle.standardError.write(Data("usage: safetensors-writer PATH [MEGABYTES] [ITERATIONS]\n".utf8))
    exit(2)
}
let url = URL(fileURLWithPath: arguments[1])
let megabytes = arguments.count >= 3 ? Int(arguments[2]) ?? 64 : 64
let iterations = arguments.count >= 4 ? Int(arguments[3]) ?? 0 : 0
let count = megabytes * (1 << 20) / 4

var k = 1
while iterations == 0 || k <= iterations {
    do {
        var checkpoint = SafeTensors(metadata: ["iteration": String(k)])
        try checkpoint.add("weights", [Float](repeating: Float(k), count: count), shape: [count])
        try checkpoint.add("step", [Int64(k)], shape: [1])
        try checkpoint.write(to: url)
    } catch {
        FileHandle.standardError.write(Data("safetensors-writer: \(error)\n".utf8))
        exit(1)
    }
    FileHandle.standardOutput.write(Data("saved \(k)\n".utf8))  // unbuffered, unlike print
    k += 1
}
