extension JPEGFrame {
    /// The picture as 8-bit RGBA (alpha 255), row by row: each component's row brought to the
    /// full width and height (`JPEGUpsampler`), then the components made into red, green, blue.
    func rgba(_ model: JPEGColorModel) -> [UInt8] {
        var rgba = [UInt8](repeating: 255, count: width * height * 4)
        let upsamplers = components.map { JPEGUpsampler($0, of: self) }
        let colors = YCbCrToRGB()
        samples.withUnsafeBufferPointer { samples in
            rgba.withUnsafeMutableBufferPointer { rgba in
                for y in 0..<height {
                    let rows = upsamplers.map { $0.row(y, from: samples.baseAddress!) }
                    let out = rgba.baseAddress! + y * width * 4
                    switch model {
                    case .grayscale:
                        let gray = rows[0]
                        for x in 0..<width { (out[4 * x], out[4 * x + 1], out[4 * x + 2]) = (gray[x], gray[x], gray[x]) }
                    case .rgb:
                        let (red, green, blue) = (rows[0], rows[1], rows[2])
                        for x in 0..<width { (out[4 * x], out[4 * x + 1], out[4 * x + 2]) = (red[x], green[x], blue[x]) }
                    case .yCbCr:
                        colors.convert(y: rows[0], cb: rows[1], cr: rows[2], count: width, into: out)
                    }
                }
            }
        }
        return rgba
    }
}

/// One component's samples at the picture's full size, a row at a time.
///
/// A component stored at a lower resolution (the chroma of a 4:2:0 or 4:2:2 picture) has each
/// sample at the centre of the pixels it covers; a full-size value is interpolated linearly
/// between the two nearest centres across and the two nearest down, and the edges repeat.
/// For 2:1 that is libjpeg's "fancy upsampling" (¾ of the nearer sample, ¼ of the other);
/// the same rule serves every other ratio (4:1:1, 3:1 ...), where libjpeg repeats samples.
final class JPEGUpsampler {
    private let offset: Int, stride: Int
    private let isFullSize: Bool
    /// For each output row and column: the first of the two samples and the second's weight.
    private let rowTaps: [(first: Int, second: Int, weight: Float)]
    private let columnFirst: UnsafeMutablePointer<Int>, columnSecond: UnsafeMutablePointer<Int>
    private let columnWeight: UnsafeMutablePointer<Float>
    /// The row interpolated down (at the component's width), then across (at the picture's).
    private let blended: UnsafeMutablePointer<Float>
    private let output: UnsafeMutablePointer<UInt8>
    private let width: Int, componentWidth: Int

    init(_ component: JPEGFrame.Component, of frame: JPEGFrame) {
        (offset, stride, width, componentWidth) = (component.offset, component.stride, frame.width, component.width)
        isFullSize = component.width == frame.width && component.height == frame.height
        rowTaps = Self.taps(frame.height, from: component.height, ratio: Float(component.verticalSampling) / Float(frame.maxVerticalSampling))
        let columnTaps = Self.taps(frame.width, from: component.width,
                                   ratio: Float(component.horizontalSampling) / Float(frame.maxHorizontalSampling))
        columnFirst = .allocate(capacity: width)
        columnSecond = .allocate(capacity: width)
        columnWeight = .allocate(capacity: width)
        for (x, tap) in columnTaps.enumerated() { (columnFirst[x], columnSecond[x], columnWeight[x]) = tap }
        blended = .allocate(capacity: component.width)
        output = .allocate(capacity: width)
    }

    deinit {
        columnFirst.deallocate()
        columnSecond.deallocate()
        columnWeight.deallocate()
        blended.deallocate()
        output.deallocate()
    }

    /// For each of `count` full-size positions, the samples on either side among `samples`:
    /// output i's centre, i + ½, is at (i + ½)·ratio in samples, between sample centres j + ½.
    static func taps(_ count: Int, from samples: Int, ratio: Float) -> [(first: Int, second: Int, weight: Float)] {
        (0..<count).map { i in
            let position = min(max((Float(i) + 0.5) * ratio - 0.5, 0), Float(samples - 1))
            let first = Int(position)
            return (first, min(first + 1, samples - 1), position - Float(first))
        }
    }

    /// Row `y` at full size; valid until the next call.
    func row(_ y: Int, from samples: UnsafePointer<UInt8>) -> UnsafePointer<UInt8> {
        let plane = samples + offset
        if isFullSize { return plane + y * stride }
        let tap = rowTaps[y]
        let (upper, lower, down) = (plane + tap.first * stride, plane + tap.second * stride, tap.weight)
        for i in 0..<componentWidth {
            // Through Int: a debug build converts UInt8 to Float by a slow generic path.
            let (a, b) = (Float(Int(upper[i])), Float(Int(lower[i])))
            blended[i] = a + (b - a) * down
        }
        for x in 0..<width {
            let (left, right) = (blended[columnFirst[x]], blended[columnSecond[x]])
            output[x] = UInt8(left + (right - left) * columnWeight[x] + 0.5)
        }
        return UnsafePointer(output)
    }
}

/// YCbCr to RGB as JFIF defines it (ITU-R BT.601 with full-range values):
///
///     R = Y + 1.402 (Cr − 128)
///     G = Y − 0.344136 (Cb − 128) − 0.714136 (Cr − 128)
///     B = Y + 1.772 (Cb − 128)
///
/// with each term looked up in a table of 256, as libjpeg does: green's two terms in units of
/// 1/65536, summed and then rounded. The sums, which can fall outside 0...255, are clamped by
/// looking them up too.
final class YCbCrToRGB {
    /// `clamped[v]` is v clamped to 0...255, for v in -512..<768.
    private let clampTable = UnsafeMutablePointer<UInt8>.allocate(capacity: 1280)
    private var clamped: UnsafeMutablePointer<UInt8> { clampTable + 512 }
    private let redFromCr = UnsafeMutablePointer<Int>.allocate(capacity: 256)
    private let blueFromCb = UnsafeMutablePointer<Int>.allocate(capacity: 256)
    private let greenFromCb = UnsafeMutablePointer<Int>.allocate(capacity: 256)
    private let greenFromCr = UnsafeMutablePointer<Int>.allocate(capacity: 256)

    init() {
        for v in -512..<768 { clampTable[v + 512] = UInt8(min(max(v, 0), 255)) }
        for i in 0..<256 {
            let c = Double(i - 128)
            redFromCr[i] = Int((1.402 * c).rounded())
            blueFromCb[i] = Int((1.772 * c).rounded())
            greenFromCb[i] = Int((-0.344136 * 65536 * c).rounded())
            greenFromCr[i] = Int((-0.714136 * 65536 * c).rounded()) + 32768  // the half that rounds
        }
    }

    deinit {
        clampTable.deallocate()
        redFromCr.deallocate()
        blueFromCb.deallocate()
        greenFromCb.deallocate()
        greenFromCr.deallocate()
    }

    func convert(y: UnsafePointer<UInt8>, cb: UnsafePointer<UInt8>, cr: UnsafePointer<UInt8>, count: Int,
                 into rgba: UnsafeMutablePointer<UInt8>) {
        let (redFromCr, blueFromCb, greenFromCb, greenFromCr) = (self.redFromCr, self.blueFromCb, self.greenFromCb, self.greenFromCr)
        let clamped = self.clamped
        for x in 0..<count {
            let (luma, blue, red) = (Int(y[x]), Int(cb[x]), Int(cr[x]))
            rgba[4 * x] = clamped[luma + redFromCr[red]]
            rgba[4 * x + 1] = clamped[luma + (greenFromCb[blue] + greenFromCr[red]) >> 16]
            rgba[4 * x + 2] = clamped[luma + blueFromCb[blue]]
        }
    }
}
