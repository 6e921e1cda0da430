// libFuzzer entry for the JPEG decoder (compiled with Sources/Plot's JPEG, EXIF and error files;
// this does what JPEGImage(data:) does, which reads files through the Files module).
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    var decoder = JPEGDecoder(Array(UnsafeBufferPointer(start: bytes, count: count)), file: "fuzz")
    if let decoded = try? decoder.decode() {
        let frame = decoded.frame
        let upright = decoded.orientation.apply(to: frame.rgba(decoded.colorModel), width: frame.width, height: frame.height)
        precondition(upright.rgba.count == frame.width * frame.height * 4)
    }
    return 0
}
