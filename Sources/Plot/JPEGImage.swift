import Files
import Foundation

/// A JPEG decoded by our own decoder into 8-bit RGBA pixels, turned upright as its EXIF
/// orientation says.
///
///     let photo = try JPEGImage(contentsOf: URL(fileURLWithPath: "shoe.jpg"))
///     photo.width, photo.height, photo.rgba      // alpha is always 255
///
/// It reads what cameras, phones and common tools write: sequential DCT with Huffman coding and
/// 8-bit samples (baseline SOF0 and extended SOF1), grayscale or YCbCr (JFIF or Adobe), any
/// chroma subsampling, restart markers. Progressive, lossless, hierarchical and arithmetic-coded
/// files, 12-bit samples and CMYK are refused with an `ImageFileError` that says what to do;
/// so is a damaged or cut-short file, never a crash.
///
/// The decoding follows the JPEG standard (ITU-T T.81), one step a file:
/// 1. `JPEGDecoder`: the segments — tables, the frame, the scans;
/// 2. `JPEGScan`, `JPEGHuffmanTable`, `JPEGBitReader`: each 8×8 block's coefficients;
/// 3. `JPEGInverseDCT`: each block back into samples;
/// 4. `JPEGUpsampler`, `YCbCrToRGB` (JPEGColor.swift): the components into RGB pixels;
/// 5. `EXIFOrientation`: the picture upright.
public struct JPEGImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// Row-major, 4 bytes per pixel: red, green, blue, alpha.
    public var rgba: [UInt8]
    /// The orientation the file gave, now applied.
    public var orientation: EXIFOrientation

    public init(contentsOf url: URL) throws {
        try self.init(data: try ReadableFile.contents(of: url.path), name: url.path)
    }

    public init(data: Data, name: String = "JPEG data") throws {
        var decoder = JPEGDecoder([UInt8](data), file: name)
        let decoded = try decoder.decode()
        let frame = decoded.frame
        orientation = decoded.orientation
        (rgba, width, height) = orientation.apply(to: frame.rgba(decoded.colorModel), width: frame.width, height: frame.height)
    }
}
