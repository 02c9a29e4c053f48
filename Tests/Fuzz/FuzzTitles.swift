// libFuzzer entry point for the titles reader (`MovieTitles.parse`).
// Not part of any SwiftPM target: compiled by .ci/fuzz with the library sources.
import AutoRec

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTitles(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let titles = try MovieTitles.parse(bytes, name: "fuzz")
        precondition(titles.keys.allSatisfy { $0 >= 0 })
    } catch let error as DataFileError {
        precondition(error.file == "fuzz")
    } catch {
        preconditionFailure("unexpected error type: \(error)")
    }
    return 0
}
