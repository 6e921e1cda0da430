/// Bilinear resizing of one grayscale image, with pixel centres aligned as PyTorch's
/// `interpolate(mode="bilinear", align_corners=False)`: output pixel i samples the input at
/// (i + 0.5)·in/out − 0.5, clamped to the image.
public enum Resize {
    /// Samples of one axis: for each output index, the two input indices and the weight of the
    /// second.
    static func taps(input: Int, output: Int) -> [(Int, Int, Float)] {
        let scale = Float(input) / Float(output)
        return (0..<output).map { i in
            let position = min(max((Float(i) + 0.5) * scale - 0.5, 0), Float(input - 1))
            let low = Int(position)
            return (low, min(low + 1, input - 1), position - Float(low))
        }
    }

    /// Resizes `source` (h×w) into `destination` (outHeight×outWidth).
    public static func bilinear(_ source: UnsafePointer<Float>, height h: Int, width w: Int,
                                into destination: UnsafeMutablePointer<Float>, height oh: Int, width ow: Int) {
        bilinear(source, height: h, width: w, into: destination, rows: taps(input: h, output: oh), columns: taps(input: w, output: ow))
    }

    static func bilinear(_ source: UnsafePointer<Float>, height h: Int, width w: Int,
                         into destination: UnsafeMutablePointer<Float>, rows: [(Int, Int, Float)], columns: [(Int, Int, Float)]) {
        let ow = columns.count
        for (oy, (y0, y1, fy)) in rows.enumerated() {
            let top = source + y0 * w, bottom = source + y1 * w, out = destination + oy * ow
            for (ox, (x0, x1, fx)) in columns.enumerated() {
                let upper = top[x0] + (top[x1] - top[x0]) * fx
                let lower = bottom[x0] + (bottom[x1] - bottom[x0]) * fx
                out[ox] = upper + (lower - upper) * fy
            }
        }
    }
}
