import Foundation
import Testing
@testable import Plot

/// The files that scripts/make-jpeg-fixtures wrote: JPEGs from ImageMagick and libjpeg-turbo's
/// cjpeg, each one that must be read beside ImageMagick's decoding of it as PNG.
enum JPEGFixture {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("JPEG")
    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }
    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url(name))) }
}

/// How far our decoding may be from ImageMagick's (libjpeg-turbo's), per channel of 0...255.
struct Tolerance: CustomStringConvertible, Sendable {
    var largest: Int
    var mean: Double
    var description: String { "largest \(largest), mean \(mean)" }

    /// No upsampling (gray, 4:4:4, RGB): our IDCT works in Float, libjpeg's in 13-bit fixed
    /// point, so a sample may round the other way (±1). R, G and B add a chroma error 1.4 or
    /// 1.8 times over: ±1 in Y and in Cr can make ±3 in red.
    static let fullSize = Tolerance(largest: 3, mean: 0.25)
    /// 2:1 (4:2:0, 4:2:2, 4:4:0): the same interpolation as libjpeg's "fancy upsampling", but
    /// libjpeg rounds the interpolated chroma in integers with a bias that alternates between
    /// pixels: one step more of chroma, up to two of red or blue.
    static let halfChroma = Tolerance(largest: 4, mean: 0.5)
    /// 4:1:1: libjpeg repeats each chroma sample four times across, we interpolate between them.
    /// Where colour changes smoothly, as in a photo, that differs by little.
    static let quarterChromaSmooth = Tolerance(largest: 12, mean: 1.5)
}

/// The largest and the mean absolute difference per colour channel (alpha aside).
func channelDifference(_ a: [UInt8], _ b: [UInt8]) -> (largest: Int, mean: Double) {
    precondition(a.count == b.count)
    var (largest, total) = (0, 0)
    for i in a.indices where i % 4 != 3 {
        let d = abs(Int(a[i]) - Int(b[i]))
        (largest, total) = (max(largest, d), total + d)
    }
    return (largest, Double(total) / Double(a.count / 4 * 3))
}

@Suite struct JPEGImageTests {
    static let readable: [(name: String, tolerance: Tolerance)] = [
        ("gray-17x13", .fullSize), ("gray-1x1", .fullSize), ("444-17x13", .fullSize), ("444-q100-48x32", .fullSize),
        ("444-restart-37x21", .fullSize), ("rgb-21x11", .fullSize),
        ("420-17x13", .halfChroma), ("420-1x1", .halfChroma), ("422-33x7", .halfChroma), ("440-13x17", .halfChroma),
        ("420-q20-48x32", .halfChroma), ("420-70x50", .halfChroma), ("420-restart-40x24", .halfChroma),
        ("420-restart-rows-37x21", .halfChroma), ("420-scans-35x19", .halfChroma),
        ("411-smooth-64x24", .quarterChromaSmooth),
    ] + (1...8).map { ("orientation-\($0)", .fullSize) }

    @Test(arguments: readable)
    func matchesImageMagick(_ fixture: (name: String, tolerance: Tolerance)) throws {
        let ours = try JPEGImage(contentsOf: JPEGFixture.url(fixture.name + ".jpg"))
        let reference = try PNGImage(contentsOf: JPEGFixture.url(fixture.name + ".png"))
        try #require(ours.width == reference.width && ours.height == reference.height)
        let difference = channelDifference(ours.rgba, reference.rgba)
        #expect(difference.largest <= fixture.tolerance.largest && difference.mean < fixture.tolerance.mean,
                "\(fixture.name): \(difference), allowed \(fixture.tolerance)")
        #expect(stride(from: 3, to: ours.rgba.count, by: 4).allSatisfy { ours.rgba[$0] == 255 })
    }

    /// 4:1:1 with sharp colour edges: there libjpeg's repeated chroma and our interpolated
    /// chroma differ by up to the edge's whole step, but luma, which upsampling does not touch,
    /// must agree as closely as at full size. Luma is recovered from RGB (BT.601 weights undo
    /// the conversion) where no channel was clamped.
    @Test func sharpQuarterChromaKeepsLuma() throws {
        let ours = try JPEGImage(contentsOf: JPEGFixture.url("411-33x7.jpg"))
        let reference = try PNGImage(contentsOf: JPEGFixture.url("411-33x7.png"))
        func luma(_ p: ArraySlice<UInt8>) -> Double {
            let c = Array(p)
            return 0.299 * Double(c[0]) + 0.587 * Double(c[1]) + 0.114 * Double(c[2])
        }
        var compared = 0
        for i in stride(from: 0, to: ours.rgba.count, by: 4) {
            let (a, b) = (ours.rgba[i..<(i + 3)], reference.rgba[i..<(i + 3)])
            if (a + b).contains(where: { $0 == 0 || $0 == 255 }) { continue }
            #expect(abs(luma(a) - luma(b)) <= 3, "pixel \(i / 4)")
            compared += 1
        }
        #expect(compared > ours.width * ours.height / 2)
    }

    @Test func everyOrientationIsReadAndTurnsThePicture() throws {
        let stored = try JPEGImage(contentsOf: JPEGFixture.url("orientation-1.jpg"))
        #expect((stored.width, stored.height, stored.orientation) == (6, 4, .upright))
        for n in 2...8 {
            let image = try JPEGImage(contentsOf: JPEGFixture.url("orientation-\(n).jpg"))
            #expect(image.orientation.rawValue == n)
            #expect((image.width, image.height) == (n >= 5 ? (4, 6) : (6, 4)))
            // The same pixels as the stored picture, moved: the same multiset of colours.
            #expect(pixels(image.rgba).sorted() == pixels(stored.rgba).sorted())
        }
    }

    func pixels(_ rgba: [UInt8]) -> [UInt32] {
        stride(from: 0, to: rgba.count, by: 4).map { UInt32(rgba[$0]) << 24 | UInt32(rgba[$0 + 1]) << 16 | UInt32(rgba[$0 + 2]) << 8 }
    }

    /// An APP1 "Exif" segment holding only an orientation, in either byte order.
    static func exifSegment(orientation: Int, littleEndian: Bool) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { littleEndian ? [UInt8(v & 255), UInt8(v >> 8)] : [UInt8(v >> 8), UInt8(v & 255)] }
        func u32(_ v: Int) -> [UInt8] { littleEndian ? u16(v & 0xFFFF) + u16(v >> 16) : u16(v >> 16) + u16(v & 0xFFFF) }
        let tiff = (littleEndian ? Array("II".utf8) : Array("MM".utf8)) + u16(42) + u32(8)
            + u16(1) + u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0) + u32(0)
        let payload = Array("Exif\0\0".utf8) + tiff
        return [0xFF, 0xE1] + u16BigEndian(payload.count + 2) + payload
    }

    static func u16BigEndian(_ v: Int) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 255)] }

    @Test(arguments: [false, true])
    func exifWrittenByHandInEitherByteOrder(littleEndian: Bool) throws {
        let plain = try JPEGFixture.bytes("444-17x13.jpg")
        let upright = try JPEGImage(data: Data(plain))
        for orientation in EXIFOrientation.allCases {
            let bytes = Array(plain[0..<2]) + Self.exifSegment(orientation: orientation.rawValue, littleEndian: littleEndian) + plain[2...]
            let image = try JPEGImage(data: Data(bytes))
            let expected = orientation.apply(to: upright.rgba, width: upright.width, height: upright.height)
            #expect(image.orientation == orientation)
            #expect((image.rgba, image.width, image.height) == expected)
        }
    }

    @Test func brokenExifLeavesThePictureAsStored() throws {
        let plain = try JPEGFixture.bytes("444-17x13.jpg")
        let good = Self.exifSegment(orientation: 6, littleEndian: true)
        var wrongType = good, outside = good, badValue = good
        wrongType[4 + 6 + 10 + 2] = 4          // LONG, not SHORT
        outside[4 + 6 + 4] = 0xF0              // the directory far past the end
        badValue[4 + 6 + 10 + 8] = 9           // orientation 9
        for segment in [wrongType, outside, badValue, Array(good.prefix(20)).withLength()] {
            let image = try JPEGImage(data: Data(Array(plain[0..<2]) + segment + plain[2...]))
            #expect(image.orientation == .upright && (image.width, image.height) == (17, 13))
        }
    }

    // MARK: What is refused

    @Test(arguments: [
        ("progressive.jpg", "is a progressive JPEG; save it as PNG or a baseline JPEG"),
        ("arithmetic.jpg", "is a JPEG with arithmetic coding; save it as PNG or a baseline JPEG"),
        ("cmyk.jpg", "is a CMYK JPEG (4 colour components); save it as RGB, as PNG or a baseline JPEG"),
    ])
    func unsupportedKindsAreRefusedWithWhatToDo(_ file: String, _ problem: String) throws {
        let path = JPEGFixture.url(file).path
        #expect(throws: ImageFileError(file: path, problem: problem)) { try JPEGImage(contentsOf: JPEGFixture.url(file)) }
        #expect("\(ImageFileError(file: "shoe.jpg", problem: problem))" == "shoe.jpg " + problem)
    }

    /// `444-17x13.jpg` with its frame header changed by `edit` (given the index of the SOF marker).
    static func withFrame(_ edit: (inout [UInt8], Int) -> Void) throws -> [UInt8] {
        var bytes = try JPEGFixture.bytes("444-17x13.jpg")
        let sof = try #require(bytes.indices.dropLast().first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        edit(&bytes, sof)
        return bytes
    }

    @Test func framesItCannotReadAreRefusedWithWhy() throws {
        // SOF: FF C0, length (2), precision, height (2), width (2), component count, components.
        let cases: [(String, (inout [UInt8], Int) -> Void, String)] = [
            ("12-bit", { b, i in b[i + 4] = 12 }, "has 12-bit samples; only 8-bit JPEGs are read: save it as PNG or a baseline JPEG"),
            ("lossless", { b, i in b[i + 1] = 0xC3 }, "is a lossless JPEG; save it as PNG or a baseline JPEG"),
            ("hierarchical", { b, i in b[i + 1] = 0xC5 }, "is a hierarchical JPEG; save it as PNG or a baseline JPEG"),
            ("height later", { b, i in (b[i + 5], b[i + 6]) = (0, 0) },
             "gives its height only after the picture (in a DNL segment), which is not supported; save it as PNG or a baseline JPEG"),
            ("too wide", { b, i in (b[i + 7], b[i + 8]) = (0x4E, 0x20) },
             "is 20000×13 pixels, larger than the 16384 pixels a side and 100 megapixels read here; make it smaller first"),
            ("more than the data", { b, i in (b[i + 5], b[i + 6], b[i + 7], b[i + 8]) = (0x27, 0x10, 0x27, 0x10) },
             "is cut short or corrupt: it declares 10000×10000 pixels, which take at least 1171875 bytes, but only "),
            ("two components", { b, i in b[i + 9] = 2 }, "has 2 colour components; only grayscale (1) and colour (3) JPEGs are read"),
            ("zero sampling", { b, i in b[i + 11] = 0x01 },
             "is not a valid JPEG: its frame header (SOF) gives component 1 sampling factors 0×1; they must be 1 to 4"),
        ]
        for (label, edit, problem) in cases {
            let bytes = try Self.withFrame(edit)
            let error = #expect(throws: ImageFileError.self, "\(label)") { try JPEGImage(data: Data(bytes), name: "x.jpg") }
            #expect(error?.file == "x.jpg" && error?.problem.hasPrefix(problem) == true, "\(label): \(String(describing: error))")
        }
    }

    // MARK: Damaged files

    static let damageable = ["gray-17x13", "420-17x13", "420-restart-40x24", "420-scans-35x19", "444-restart-37x21"]

    /// A decoding that may fail, but only with an `ImageFileError` naming the file; a picture
    /// that comes out has the size it declares.
    static func decodeOrExplain(_ bytes: [UInt8], name: String = "cut.jpg") -> Result<JPEGImage, ImageFileError>? {
        do {
            let image = try JPEGImage(data: Data(bytes), name: name)
            #expect(image.width > 0 && image.height > 0 && image.rgba.count == image.width * image.height * 4)
            return .success(image)
        } catch let error as ImageFileError {
            #expect(error.file == name)
            return .failure(error)
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test(arguments: damageable)
    func cutAtEveryByteIsCutShortOrWhole(_ name: String) throws {
        let whole = try JPEGFixture.bytes(name + ".jpg")
        let expected = try JPEGImage(data: Data(whole))
        let firstScan = try #require(whole.indices.dropLast().first { whole[$0] == 0xFF && whole[$0 + 1] == 0xDA })
        for length in 0..<whole.count {
            switch Self.decodeOrExplain(Array(whole[0..<length])) {
            case .success(let image):
                // Only the end-of-image marker may be missing from a picture that is read.
                #expect(length >= whole.count - 2 && image == expected, "cut at \(length)")
            case .failure(let error) where length > firstScan:
                #expect(error.problem.hasPrefix("is cut short"), "cut at \(length): \(error.problem)")
            default: break
            }
        }
    }

    @Test func randomByteChangesNeverCrash() throws {
        var random = SplitMix64(seed: 2024)
        var outcomes = (decoded: 0, refused: 0)
        for name in Self.damageable {
            let whole = try JPEGFixture.bytes(name + ".jpg")
            for _ in 0..<600 {
                var bytes = whole
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let i = Int.random(in: 2..<bytes.count, using: &random)
                    bytes[i] = Bool.random(using: &random) ? UInt8.random(in: 0...255, using: &random) : bytes[i] ^ (1 << UInt8.random(in: 0...7, using: &random))
                }
                switch Self.decodeOrExplain(bytes) {
                case .success: outcomes.decoded += 1
                case .failure: outcomes.refused += 1
                case nil: return
                }
            }
        }
        #expect(outcomes.decoded > 0 && outcomes.refused > 0, "\(outcomes)")
    }

    // MARK: The parts

    /// Against the definition, in Double: s(y, x) = ¼ Σu Σv C(u) C(v) S(v, u) cos((2x + 1)uπ/16) cos((2y + 1)vπ/16).
    @Test func inverseDCTMatchesTheDefinition() {
        let transform = JPEGInverseDCT()
        var generator = SplitMix64(seed: 7)
        let coefficients = UnsafeMutablePointer<Float>.allocate(capacity: 64)
        defer { coefficients.deallocate() }
        var out = [UInt8](repeating: 0, count: 8 * 11)
        for trial in 0..<200 {
            // Dense, sparse (a few low frequencies, as after quantization), and DC alone.
            let kept = [64, 10, 1][trial % 3]
            var values = [Double](repeating: 0, count: 64)
            for k in 0..<kept { values[JPEGScan.zigzag[k]] = Double(Int.random(in: -300...300, using: &generator)) }
            for i in 0..<64 { coefficients[i] = Float(values[i]) }
            out.withUnsafeMutableBufferPointer { transform.transform(coefficients, into: $0.baseAddress!, stride: 11) }
            #expect((0..<64).allSatisfy { coefficients[$0] == 0 }, "coefficients left zero")
            for y in 0..<8 {
                for x in 0..<8 {
                    var s = 0.0
                    for v in 0..<8 {
                        for u in 0..<8 {
                            let c = (u == 0 ? 1 / 2.0.squareRoot() : 1) * (v == 0 ? 1 / 2.0.squareRoot() : 1)
                            s += c * values[v * 8 + u] * cos(Double(2 * x + 1) * Double(u) * .pi / 16) * cos(Double(2 * y + 1) * Double(v) * .pi / 16)
                        }
                    }
                    let expected = min(max((s / 4 + 128).rounded(), 0), 255)
                    // Float sums may round a value within a hair of .5 the other way.
                    #expect(abs(Double(out[y * 11 + x]) - expected) <= 1, "trial \(trial) at \(x), \(y)")
                }
            }
        }
    }

    @Test func upsamplingInterpolatesBetweenSampleCentres() {
        // 2:1, as libjpeg's fancy upsampling: ¾ of the nearer sample and ¼ of the other; the edges repeat.
        let half = JPEGUpsampler.taps(6, from: 3, ratio: 0.5)
        #expect(half.map(\.first) == [0, 0, 0, 1, 1, 2] && half.map(\.second) == [1, 1, 1, 2, 2, 2])
        #expect(half.map(\.weight) == [0, 0.25, 0.75, 0.25, 0.75, 0])
        // 4:1: output centres at 1/8, 3/8, 5/8, 7/8 of a sample, less the half to the sample centre.
        let quarter = JPEGUpsampler.taps(8, from: 2, ratio: 0.25)
        #expect(quarter.map(\.weight) == [0, 0, 0.125, 0.375, 0.625, 0.875, 0, 0])
        #expect(quarter.map(\.first) == [0, 0, 0, 0, 0, 0, 1, 1])
        // An odd width: the last sample covers one pixel, and repeats.
        #expect(JPEGUpsampler.taps(5, from: 3, ratio: 0.5).map(\.first) == [0, 0, 0, 1, 1])
    }

    @Test func huffmanTablesThatCannotBeAreRefused() {
        // Three codes of length 1: only two exist.
        #expect(JPEGHuffmanTable(counts: [3] + [Int](repeating: 0, count: 15), symbols: [1, 2, 3]) == nil)
        #expect(JPEGHuffmanTable(counts: [2] + [Int](repeating: 0, count: 15), symbols: [1, 2]) != nil)
    }
}

/// A small seeded generator, so that a failing random case comes back on the next run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Array where Element == UInt8 {
    /// A segment cut to its first bytes, with its length field made to match.
    func withLength() -> [UInt8] {
        var copy = self
        (copy[2], copy[3]) = (UInt8((count - 2) >> 8), UInt8((count - 2) & 255))
        return copy
    }
}
