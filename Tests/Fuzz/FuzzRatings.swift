// libFuzzer entry point for the ratings reader (`RatingsFile.parse`).
// Not part of any SwiftPM target: compiled by .ci/fuzz with the library sources.
// Property checked: every input either parses into a consistent RatingSet or throws a
// DataFileError naming the buffer; never a trap, a hang or an out-of-bounds access.
import AutoRec

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRatings(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let set = try RatingsFile.parse(bytes, name: "fuzz")
        precondition(set.count > 0, "a parsed set is never empty")
        precondition(set.userIndices.count == set.count && set.itemIndices.count == set.count && set.values.count == set.count)
        for k in 0..<set.count {
            precondition(Int(set.userIndices[k]) < set.userCount && Int(set.itemIndices[k]) < set.itemCount)
            precondition(set.values[k].isFinite && set.values[k] > 0 && set.values[k] <= 100)
        }
        for k in 0..<set.userCount { precondition(set.users.index(of: set.users.rawId(at: k)) == k) }
        for k in 0..<set.itemCount { precondition(set.items.index(of: set.items.rawId(at: k)) == k) }
        _ = set.compressedRows(by: .user)
        _ = set.compressedRows(by: .item)
    } catch let error as DataFileError {
        precondition(error.file == "fuzz")
        precondition(error.description.hasPrefix("fuzz"))
    } catch {
        preconditionFailure("unexpected error type: \(error)")
    }
    return 0
}
