// libFuzzer entry for the IDX reader (compiled with Sources/Datasets' IDX, Gzip and error files).
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    if let array = try? IDXArray(data: Data(bytes: bytes, count: count), file: "fuzz") {
        precondition(array.values.count == array.dimensions.reduce(1, *))
    }
    return 0
}
