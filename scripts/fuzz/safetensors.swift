// libFuzzer entry for the safetensors reader (compiled with Sources/NN/SafeTensors.swift).
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    if let entries = try? SafeTensors.decode(Data(bytes: bytes, count: count), file: "fuzz") {
        for e in entries { precondition(e.bytes.count == e.shape.reduce(1, *) * (e.dtype == .f32 ? 4 : 8)) }
    }
    return 0
}
