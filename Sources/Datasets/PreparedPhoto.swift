import Foundation

/// A photo of one's own made into an image like Fashion-MNIST's, by the steps its README gives
/// for how the data set was made from Zalando's product photos:
///
/// 1. trim the edges whose colour is close to the corners' (within 5% of the maximum intensity,
///    in RGB space);
/// 2. resize the longest edge to 28 pixels;
/// 3. sharpen (a Gaussian of radius and σ 1.0);
/// 4. extend the shorter edge to 28 and put the picture in the centre;
/// 5. negate the intensities, so the object is light on black;
/// 6. make it 8-bit grayscale.
///
/// ```swift
/// let photo = try RGBAImage(file: "shoe.jpg")                     // Plot decodes the file
/// let shoe = PreparedPhoto(rgba: photo.rgba, width: photo.width, height: photo.height)
/// shoe.pixels        // 28×28 values in 0...1, as DataLoader gives the data set's images
/// shoe.crop          // the part of the photo that step 1 kept
/// shoe.resized(to: 224)   // for a network trained at 224: upsampled as DataLoader does
/// ```
///
/// Note: the data set's photos were taken in a studio on white; a phone photo of a shoe on a
/// table is not, so a few steps do more:
/// - the background's colour is the median of the four corners' (one corner may lie on the
///   object), and the tolerance grows by how much the corners differ from it (a table is lit
///   unevenly), up to 15%; a line of pixels is still background if at most one in a hundred of
///   them stand out (noise, dust); if nothing would be left, nothing is trimmed;
/// - each channel is divided by the background's, so the table becomes white, and black once
///   negated, as the data set's backgrounds are; a dark background is taken to hold a light
///   object already, and is scaled to black without negating;
/// - gray and negation come first: the steps between are linear and keep black at 0, so the
///   result is the same up to rounding, for a third of the work;
/// - the resize averages the area each new pixel covers (`Resize.areaAverage`).
public struct PreparedPhoto: Sendable {
    public static let side = 28

    /// A rectangle of pixels: its top left corner and its size.
    public struct Box: Sendable, Equatable {
        public var x: Int, y: Int, width: Int, height: Int
        public init(x: Int, y: Int, width: Int, height: Int) { (self.x, self.y, self.width, self.height) = (x, y, width, height) }
    }

    public struct RGB: Sendable, Equatable {
        public var red: UInt8, green: UInt8, blue: UInt8
    }

    /// 28×28 bytes, row by row, 0 black: the image as the data set stores its own.
    public var bytes: [UInt8]
    /// The bytes scaled to 0...1, as `DataLoader` gives the data set's images.
    public var pixels: [Float]
    /// The part of the photo that trimming kept, in the photo's pixels.
    public var crop: Box
    /// The colour taken as the background.
    public var background: RGB
    /// Where the resized crop sits in the 28×28 image.
    public var placed: Box

    /// Prepares a photo of `width` × `height` pixels, 4 bytes each (red, green, blue, alpha;
    /// alpha is ignored).
    public init(rgba: [UInt8], width: Int, height: Int) {
        precondition(width > 0 && height > 0 && rgba.count == width * height * 4, "\(rgba.count) bytes for \(width)×\(height) RGBA pixels")
        let photo = Photo(rgba: rgba, width: width, height: height)
        let (background, tolerance) = photo.background()
        self.background = background
        crop = photo.trimmed(background: background, tolerance: tolerance)

        // Steps 5 and 6 first: how far each pixel is from the background, in gray, 0 to 1.
        let ink = photo.ink(in: crop, background: background)
        // Step 2.
        let scale = Double(Self.side) / Double(max(crop.width, crop.height))
        let scaledWidth = max(1, Int((Double(crop.width) * scale).rounded()))
        let scaledHeight = max(1, Int((Double(crop.height) * scale).rounded()))
        let small = Resize.areaAverage(ink, height: crop.height, width: crop.width, toHeight: scaledHeight, width: scaledWidth)
        // Step 3.
        let sharp = Self.sharpened(small, height: scaledHeight, width: scaledWidth)
        // Step 4, on black. An odd margin's extra pixel goes above and to the left, as in the
        // data set (of its first 3000 test images, 959 of 963 across and 535 of 566 down).
        placed = Box(x: (Self.side - scaledWidth + 1) / 2, y: (Self.side - scaledHeight + 1) / 2, width: scaledWidth, height: scaledHeight)
        var bytes = [UInt8](repeating: 0, count: Self.side * Self.side)
        for y in 0..<scaledHeight {
            for x in 0..<scaledWidth {
                let value = min(max(sharp[y * scaledWidth + x], 0), 1)
                bytes[(placed.y + y) * Self.side + placed.x + x] = UInt8((value * 255).rounded())
            }
        }
        self.bytes = bytes
        pixels = bytes.map { Float($0) / 255 }
    }

    /// The image at `side` × `side`, upsampled bilinearly from 28×28 exactly as `DataLoader`
    /// resizes the data set's images for a network trained at another size.
    public func resized(to side: Int) -> [Float] {
        guard side != Self.side else { return pixels }
        var out = [Float](repeating: 0, count: side * side)
        Resize.bilinear(pixels, height: Self.side, width: Self.side, into: &out, height: side, width: side)
        return out
    }

    /// ImageMagick's `-sharpen 1x1` (radius 1, σ 1): a 3×3 kernel whose neighbours weigh
    /// −exp(−(u² + v²)/2σ²) and whose centre weighs twice the sum of all nine Gaussian weights,
    /// divided by its total so that flat areas keep their value; the edges repeat outward.
    /// (Measured: ImageMagick 6.9 gives an impulse the weights 1.661 at the centre, −0.103 beside
    /// it and −0.062 at the corners, as this does.)
    static func sharpened(_ image: [Float], height h: Int, width w: Int) -> [Float] {
        var weights = [Float](repeating: 0, count: 9)
        var gaussianSum: Float = 0
        for v in -1...1 {
            for u in -1...1 {
                let g = Float(exp(-Double(u * u + v * v) / 2))
                gaussianSum += g
                weights[(v + 1) * 3 + u + 1] = -g
            }
        }
        weights[4] = 2 * gaussianSum
        let total = weights.reduce(0, +)
        weights = weights.map { $0 / total }
        var out = [Float](repeating: 0, count: h * w)
        for y in 0..<h {
            for x in 0..<w {
                var sum: Float = 0
                for v in -1...1 {
                    for u in -1...1 {
                        let (sy, sx) = (min(max(y + v, 0), h - 1), min(max(x + u, 0), w - 1))
                        sum += weights[(v + 1) * 3 + u + 1] * image[sy * w + sx]
                    }
                }
                out[y * w + x] = sum
            }
        }
        return out
    }
}

/// The photo's pixels, and the reading of its background.
private struct Photo {
    let rgba: [UInt8]
    let width: Int, height: Int

    /// Fashion-MNIST's trimming tolerance: 5% of the largest intensity, as ImageMagick's -fuzz
    /// measures colour distance (the root mean square of the three channels' differences).
    static let readmeTolerance = 0.05 * 255
    /// However unevenly the background is lit, no more than this.
    static let largestTolerance = 0.15 * 255

    func color(_ x: Int, _ y: Int) -> (Double, Double, Double) {
        let i = (y * width + x) * 4
        return (Double(rgba[i]), Double(rgba[i + 1]), Double(rgba[i + 2]))
    }

    static func distance(_ a: (Double, Double, Double), _ b: (Double, Double, Double)) -> Double {
        (((a.0 - b.0) * (a.0 - b.0) + (a.1 - b.1) * (a.1 - b.1) + (a.2 - b.2) * (a.2 - b.2)) / 3).squareRoot()
    }

    /// The background's colour, the median of four corner squares (a twentieth of the shorter
    /// side each), and the tolerance: the README's 5% plus how far the corners' own medians
    /// stray from it (the second largest, so that one corner on the object does not count).
    func background() -> (PreparedPhoto.RGB, Double) {
        let side = max(1, min(width, height) / 20)
        let corners = [(0, 0), (width - side, 0), (0, height - side), (width - side, height - side)].map { x0, y0 in
            (0..<side).flatMap { dy in (0..<side).map { dx in color(x0 + dx, y0 + dy) } }
        }
        let overall = Self.median(corners.flatMap { $0 })
        let strays = corners.map { Self.distance(Self.median($0), overall) }.sorted()
        let tolerance = min(Self.readmeTolerance + strays[2], Self.largestTolerance)
        let rgb = PreparedPhoto.RGB(red: UInt8(overall.0), green: UInt8(overall.1), blue: UInt8(overall.2))
        return (rgb, tolerance)
    }

    /// Each channel's median (the upper one of an even count).
    static func median(_ colors: [(Double, Double, Double)]) -> (Double, Double, Double) {
        func middle(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        return (middle(colors.map(\.0)), middle(colors.map(\.1)), middle(colors.map(\.2)))
    }

    /// Step 1: the smallest box outside which every row and column is background; the whole
    /// photo if nothing stands out.
    func trimmed(background: PreparedPhoto.RGB, tolerance: Double) -> PreparedPhoto.Box {
        let reference = (Double(background.red), Double(background.green), Double(background.blue))
        var standingOutInRow = [Int](repeating: 0, count: height), standingOutInColumn = [Int](repeating: 0, count: width)
        for y in 0..<height {
            for x in 0..<width where Self.distance(color(x, y), reference) > tolerance {
                standingOutInRow[y] += 1
                standingOutInColumn[x] += 1
            }
        }
        // A line of a hundred pixels or more may have one in a hundred stand out: noise, dust.
        let rows = standingOutInRow.indices.filter { standingOutInRow[$0] > width / 100 }
        let columns = standingOutInColumn.indices.filter { standingOutInColumn[$0] > height / 100 }
        guard let top = rows.first, let bottom = rows.last, let left = columns.first, let right = columns.last else {
            return PreparedPhoto.Box(x: 0, y: 0, width: width, height: height)
        }
        return PreparedPhoto.Box(x: left, y: top, width: right - left + 1, height: bottom - top + 1)
    }

    /// Steps 5 and 6 for the pixels in `box`: gray (BT.601 luma) after each channel is divided
    /// by the background's, then negated, so the background is 0 and black ink 1. On a dark
    /// background the object is light already: the background is subtracted and the rest
    /// stretched to 0...1 instead.
    func ink(in box: PreparedPhoto.Box, background: PreparedPhoto.RGB) -> [Float] {
        let (backRed, backGreen, backBlue) = (Double(background.red), Double(background.green), Double(background.blue))
        let lightBackground = Self.luma(backRed, backGreen, backBlue) >= 128
        func scaled(_ value: Double, _ back: Double) -> Double {
            lightBackground ? min(value / max(back, 1), 1) : max((value - back) / max(255 - back, 1), 0)
        }
        var ink = [Float](repeating: 0, count: box.width * box.height)
        for y in 0..<box.height {
            for x in 0..<box.width {
                let (r, g, b) = color(box.x + x, box.y + y)
                let gray = Self.luma(scaled(r, backRed), scaled(g, backGreen), scaled(b, backBlue))
                ink[y * box.width + x] = Float(lightBackground ? 1 - gray : gray)
            }
        }
        return ink
    }

    static func luma(_ r: Double, _ g: Double, _ b: Double) -> Double { 0.299 * r + 0.587 * g + 0.114 * b }
}
