import CPNG
import Files
import Foundation

/// A PNG decoded by libpng into 8-bit RGBA pixels: for tests that look at what was drawn, and
/// for loading a picture of one's own.
public struct PNGImage: Equatable {
    public var width: Int
    public var height: Int
    /// Row-major, 4 bytes per pixel: red, green, blue, alpha.
    public var rgba: [UInt8]

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init(contentsOf url: URL) throws {
        try self.init(data: try ReadableFile.contents(of: url.path), name: url.path)
    }

    public init(data: Data, name: String = "PNG data") throws {
        // libpng reads the memory during both calls, so both stay inside one access to it.
        let decoded: Result<(Int, Int, [UInt8]), Failure> = data.withUnsafeBytes { bytes in
            var image = png_image()
            image.version = UInt32(PNG_IMAGE_VERSION)
            guard png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count) != 0 else {
                return .failure(Failure(description: "\(name): not a PNG (\(Self.message(image)))"))
            }
            image.format = CPNG_FORMAT_RGBA
            let (w, h) = (Int(image.width), Int(image.height))
            var pixels = [UInt8](repeating: 0, count: w * h * 4)
            let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, Int32(w * 4), nil) }
            guard finished != 0 else {
                png_image_free(&image)
                return .failure(Failure(description: "\(name): cannot be decoded (\(Self.message(image)))"))
            }
            return .success((w, h, pixels))
        }
        (width, height, rgba) = try decoded.get()
    }

    private static func message(_ image: png_image) -> String {
        withUnsafeBytes(of: image.message) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
    }

    /// The pixel at column x, row y.
    public subscript(x: Int, y: Int) -> (red: UInt8, green: UInt8, blue: UInt8, alpha: UInt8) {
        let i = (y * width + x) * 4
        return (rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3])
    }
}
