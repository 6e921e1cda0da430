import Files
import Foundation

/// A picture file read into 8-bit RGBA, whichever of the formats it is in, PNG or JPEG: the
/// file's first bytes say which, not its name (which a phone or a messenger may have changed).
///
///     let photo = try RGBAImage(file: "shoe.jpg")
///     photo.width, photo.height, photo.rgba      // 4 bytes a pixel, row by row
///
/// Throws `FileError` when the file cannot be read, `ImageFileError` when it is no PNG or JPEG
/// or a JPEG that cannot be decoded, and `PNGImage.Failure` for a broken PNG: each says, in
/// words, which file and what is wrong.
public struct RGBAImage: Equatable, Sendable {
    public enum Format: String, Sendable {
        case png = "PNG", jpeg = "JPEG"
    }

    public var width: Int
    public var height: Int
    /// Row-major, 4 bytes per pixel: red, green, blue, alpha.
    public var rgba: [UInt8]
    public var format: Format

    public init(file path: String) throws {
        try self.init(data: try ReadableFile.contents(of: path), name: path)
    }

    public init(data: Data, name: String) throws {
        switch Self.format(of: data) {
        case .png:
            let png = try PNGImage(data: data, name: name)
            (width, height, rgba, format) = (png.width, png.height, png.rgba, .png)
        case .jpeg:
            let jpeg = try JPEGImage(data: data, name: name)
            (width, height, rgba, format) = (jpeg.width, jpeg.height, jpeg.rgba, .jpeg)
        case nil:
            let start = data.prefix(4).map { ($0 < 16 ? "0" : "") + String($0, radix: 16, uppercase: true) }
            throw ImageFileError(file: name, problem: data.isEmpty ? "is empty, not a PNG or JPEG image"
                                 : "is not a PNG or JPEG image (it starts with bytes \(start.joined(separator: " ")))")
        }
    }

    /// The format that `data`'s first bytes announce: PNG's eight-byte signature, or JPEG's
    /// start-of-image marker FF D8.
    public static func format(of data: Data) -> Format? {
        if data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if data.starts(with: [0xFF, 0xD8]) { return .jpeg }
        return nil
    }
}
