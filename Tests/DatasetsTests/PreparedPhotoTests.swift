import Foundation
import Tensors
import Testing
@testable import Datasets

/// A made-up photo: a background with noise, and dark rectangles on it.
struct SyntheticPhoto {
    var width: Int, height: Int
    var rgba: [UInt8]

    /// `background(x, y)` gives each pixel's gray before noise of ±`noise` levels.
    init(width: Int, height: Int, noise: Int = 6, seed: UInt64 = 1, background: (Int, Int) -> Int = { _, _ in 200 }) {
        (self.width, self.height) = (width, height)
        let random = RandomGenerator(seed: seed)
        rgba = [UInt8](repeating: 255, count: width * height * 4)
        for y in 0..<height {
            for x in 0..<width {
                let base = background(x, y)
                for c in 0..<3 {
                    let jitter = noise > 0 ? Int(random.uniform(Float(-noise), Float(noise + 1))) : 0
                    rgba[(y * width + x) * 4 + c] = UInt8(min(max(base + jitter - 2 * c, 0), 255))  // a little warm
                }
            }
        }
    }

    mutating func fill(x: Int, y: Int, width w: Int, height h: Int, gray: UInt8) {
        for row in y..<(y + h) {
            for column in x..<(x + w) {
                for c in 0..<3 { rgba[(row * width + column) * 4 + c] = gray }
            }
        }
    }

    func prepared() -> PreparedPhoto { PreparedPhoto(rgba: rgba, width: width, height: height) }

    /// A photo of `width` × `height` holding one rectangle of `gray` at `object`, prepared.
    static func prepared(_ width: Int, _ height: Int, object: PreparedPhoto.Box, gray: UInt8,
                         background: @escaping (Int, Int) -> Int = { _, _ in 200 }) -> PreparedPhoto {
        var photo = SyntheticPhoto(width: width, height: height, background: background)
        photo.fill(x: object.x, y: object.y, width: object.width, height: object.height, gray: gray)
        return photo.prepared()
    }
}

/// The centre of mass of a 28×28 image's values: column, row.
func centreOfMass(_ pixels: [Float]) -> (x: Double, y: Double) {
    var (sum, x, y) = (0.0, 0.0, 0.0)
    for (i, v) in pixels.enumerated() {
        (sum, x, y) = (sum + Double(v), x + Double(v) * Double(i % 28), y + Double(v) * Double(i / 28))
    }
    return (x / sum, y / sum)
}

func correlation(_ a: [Float], _ b: [Float]) -> Double {
    let (ma, mb) = (a.reduce(0, +) / Float(a.count), b.reduce(0, +) / Float(b.count))
    var (ab, aa, bb) = (0.0, 0.0, 0.0)
    for (x, y) in zip(a, b) {
        let (dx, dy) = (Double(x - ma), Double(y - mb))
        (ab, aa, bb) = (ab + dx * dy, aa + dx * dx, bb + dy * dy)
    }
    return ab / (aa * bb).squareRoot()
}

@Suite struct PreparedPhotoTests {
    @Test func aDarkObjectOffCentreComesOutCentredLightOnBlack() {
        let object = PreparedPhoto.Box(x: 30, y: 40, width: 60, height: 90)
        let prepared = SyntheticPhoto.prepared(300, 200, object: object, gray: 40)
        #expect(prepared.crop == object)
        // Tall: the height fills 28, the width 60·28/90 ≈ 19, centred with the odd pixel left.
        #expect(prepared.placed == .init(x: 5, y: 0, width: 19, height: 28))
        #expect(prepared.bytes.count == 784 && prepared.pixels.count == 784)
        let centre = centreOfMass(prepared.pixels)
        #expect(abs(centre.x - 13.5) <= 0.5 && abs(centre.y - 13.5) <= 0.5, "\(centre)")
        // Light on black: the object at 1 − 40/200 = 0.8 of white, the margins exactly black.
        #expect(abs(prepared.pixels[14 * 28 + 13] - 0.8) < 0.03)
        for y in 0..<28 {
            for x in [0, 1, 2, 3, 4, 24, 25, 26, 27] { #expect(prepared.bytes[y * 28 + x] == 0) }
        }
        #expect(prepared.pixels.allSatisfy { (0...1).contains($0) })
        #expect(prepared.pixels == prepared.bytes.map { Float($0) / 255 }, "scaled as DataLoader scales")
    }

    @Test func aWideObjectFillsTheWidth() {
        let object = PreparedPhoto.Box(x: 150, y: 170, width: 140, height: 35)
        let prepared = SyntheticPhoto.prepared(320, 240, object: object, gray: 70)
        #expect(prepared.crop == object)
        #expect(prepared.placed == .init(x: 0, y: 11, width: 28, height: 7))
        #expect(prepared.bytes[0..<(11 * 28)].allSatisfy { $0 == 0 } && prepared.bytes[(18 * 28)...].allSatisfy { $0 == 0 })
    }

    /// A table lit from one side: its corners differ by 40 levels, more than the README's 5%.
    @Test func anUnevenlyLitTableIsStillTrimmed() {
        let object = PreparedPhoto.Box(x: 170, y: 50, width: 50, height: 100)
        let prepared = SyntheticPhoto.prepared(300, 200, object: object, gray: 30) { x, _ in 180 + 40 * x / 299 }
        #expect(prepared.crop == object)
        let centre = centreOfMass(prepared.pixels)
        #expect(abs(centre.x - 13.5) <= 0.5 && abs(centre.y - 13.5) <= 0.5, "\(centre)")
    }

    @Test func aPhotoOfNothingIsKeptWhole() {
        let photo = SyntheticPhoto(width: 90, height: 60)
        let prepared = photo.prepared()
        #expect(prepared.crop == .init(x: 0, y: 0, width: 90, height: 60))
        #expect(prepared.pixels.allSatisfy { $0 < 0.1 })
        let tiny = PreparedPhoto(rgba: [10, 20, 30, 255], width: 1, height: 1)
        #expect(tiny.crop == .init(x: 0, y: 0, width: 1, height: 1) && tiny.placed == .init(x: 0, y: 0, width: 28, height: 28))
    }

    /// A light object on a dark table is light on black already: not negated.
    @Test func aLightObjectOnADarkTableStaysLight() {
        let object = PreparedPhoto.Box(x: 60, y: 20, width: 80, height: 160)
        let prepared = SyntheticPhoto.prepared(200, 200, object: object, gray: 230) { _, _ in 30 }
        #expect(prepared.crop == object)
        // (230 − 30) / (255 − 30) of white.
        #expect(abs(prepared.pixels[14 * 28 + 14] - 0.889) < 0.03 && prepared.pixels[14 * 28] == 0)
    }

    /// The round trip: a Fashion-MNIST image made back into a "photo" (negated to dark on white,
    /// enlarged eight times, off-centre on a larger white canvas, with noise) and prepared again
    /// comes back close to itself: correlation above 0.9 (most are above 0.98).
    ///
    /// Two things of the data set's own are allowed for: an odd margin's extra pixel is mostly,
    /// not always, above and to the left, so the comparison may shift by a pixel; and the round
    /// trip is exact only for an image whose object spans 28 pixels (beyond the 5% that trimming
    /// ignores), as step 2 makes them. A few do not (test image 17's boot is 27 tall); prepared
    /// again, those come out scaled by 28/27, and are left out.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: FashionMNIST.systemDirectory)))
    func fashionMNISTImagesSurviveARoundTrip() throws {
        let test = try FashionMNIST.load(FashionMNIST.systemDirectory, split: "t10k").images
        var compared = 0
        for index in 0..<20 {
            let original = test.pixels[(index * 784)..<((index + 1) * 784)].map { Float($0) / 255 }
            let visible = original.indices.filter { original[$0] > 0.05 }
            let (columns, rows) = (visible.map { $0 % 28 }, visible.map { $0 / 28 })
            guard max(columns.max()! - columns.min()!, rows.max()! - rows.min()!) == 27 else { continue }
            var photo = SyntheticPhoto(width: 400, height: 300, noise: 3, seed: UInt64(index)) { _, _ in 250 }
            let (x0, y0) = (130, 50)
            for y in 0..<224 {
                for x in 0..<224 {
                    let value = UInt8(250 - Int((original[(y / 8) * 28 + x / 8] * 250).rounded()))
                    for c in 0..<3 { photo.rgba[((y0 + y) * 400 + x0 + x) * 4 + c] = value }
                }
            }
            let prepared = photo.prepared().pixels
            var best = -1.0
            for dy in -1...1 {
                for dx in -1...1 { best = max(best, correlation(Self.shifted(prepared, dx, dy), original)) }
            }
            #expect(best > 0.9, "image \(index) (\(FashionMNIST.classNames[Int(test.labels[index])])): correlation \(best)")
            compared += 1
        }
        #expect(compared >= 15)
    }

    /// A 28×28 image moved `dx` right and `dy` down, black coming in.
    static func shifted(_ image: [Float], _ dx: Int, _ dy: Int) -> [Float] {
        (0..<784).map { i in
            let (x, y) = (i % 28 - dx, i / 28 - dy)
            return (0..<28).contains(x) && (0..<28).contains(y) ? image[y * 28 + x] : 0
        }
    }

    @Test func resizedIsWhatDataLoaderGivesTheDataSet() {
        let prepared = SyntheticPhoto.prepared(120, 160, object: .init(x: 20, y: 30, width: 50, height: 90), gray: 60)
        let asDataSet = LabeledImages(count: 1, height: 28, width: 28, pixels: prepared.bytes, labels: [7])
        for side in [28, 64, 96, 224] {
            let batch = DataLoader(asDataSet, batchSize: 1, shuffle: false, resize: side).batch([0])
            #expect(prepared.resized(to: side) == batch.images.scalars, "side \(side)")
        }
    }

    /// ImageMagick 6.9's `convert impulse.pgm -sharpen 1x1.0` on a 25% gray with one pixel at
    /// 50%: the centre rises by 1.661 times the step, its four neighbours fall by 0.1028 and the
    /// four diagonal ones by 0.0624.
    @Test func sharpeningMatchesImageMagick() {
        var impulse = [Float](repeating: 0.25, count: 49)
        impulse[24] = 0.5
        let sharp = PreparedPhoto.sharpened(impulse, height: 7, width: 7)
        #expect(abs((sharp[24] - 0.25) / 0.25 - 1.661) < 0.001)
        #expect(abs((sharp[17] - 0.25) / 0.25 + 0.1028) < 0.0005 && abs((sharp[16] - 0.25) / 0.25 + 0.0624) < 0.0005)
        #expect(abs(sharp[0] - 0.25) < 1e-6, "flat areas keep their value")
    }

    @Test func areaAveragingTakesEachCellsShare() {
        // 3 → 2: each output covers one and a half inputs.
        #expect(Resize.areaAverage([0, 3, 6], height: 1, width: 3, toHeight: 1, width: 2) == [1, 5])
        // 4×4 → 2×2: the mean of each 2×2 square.
        let square: [Float] = [1, 3, 0, 0, 5, 7, 0, 0, 0, 0, 2, 2, 0, 0, 2, 2]
        #expect(Resize.areaAverage(square, height: 4, width: 4, toHeight: 2, width: 2) == [4, 0, 0, 2])
        // Every cell's shares add up to 1, for awkward ratios both ways.
        for (input, output) in [(1000, 28), (29, 28), (7, 28), (1, 3)] {
            for parts in Resize.coverage(input: input, output: output) {
                #expect(abs(parts.reduce(0) { $0 + $1.weight } - 1) < 1e-5, "\(input) → \(output)")
            }
        }
    }
}
