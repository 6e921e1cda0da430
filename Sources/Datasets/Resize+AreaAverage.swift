extension Resize {
    /// Resizes `source` (h×w) to oh×ow by averaging: each output pixel is the mean of the input
    /// area it covers, input pixels cut by its edges counting in part.
    ///
    /// For shrinking a photo thousands of pixels wide to 28: sampling the input at a few points
    /// (bilinear, nearest) would keep one pixel in a hundred and let noise and fine texture
    /// (a knit, a sole's tread) alias into the small picture; the area's mean keeps what the
    /// eye sees from afar. Growing, it blends each pixel's square, as ImageMagick's -scale does.
    public static func areaAverage(_ source: [Float], height h: Int, width w: Int, toHeight oh: Int, width ow: Int) -> [Float] {
        precondition(source.count == h * w && h > 0 && w > 0 && oh > 0 && ow > 0)
        let columns = coverage(input: w, output: ow), rows = coverage(input: h, output: oh)
        // Across first (h × ow), then down.
        var across = [Float](repeating: 0, count: h * ow)
        for y in 0..<h {
            for (ox, parts) in columns.enumerated() {
                across[y * ow + ox] = parts.reduce(0) { $0 + source[y * w + $1.index] * $1.weight }
            }
        }
        var out = [Float](repeating: 0, count: oh * ow)
        for (oy, parts) in rows.enumerated() {
            for ox in 0..<ow {
                out[oy * ow + ox] = parts.reduce(0) { $0 + across[$1.index * ow + ox] * $1.weight }
            }
        }
        return out
    }

    /// For each of `output` cells along an axis of `input` pixels: the pixels it covers and what
    /// share of the cell each fills (the shares add up to 1). Cell i spans [i, i + 1)·input/output.
    static func coverage(input: Int, output: Int) -> [[(index: Int, weight: Float)]] {
        let scale = Double(input) / Double(output)
        return (0..<output).map { i in
            let (start, end) = (Double(i) * scale, Double(i + 1) * scale)
            return (Int(start)..<min(Int(end.rounded(.up)), input)).compactMap { p in
                let overlap = min(end, Double(p + 1)) - max(start, Double(p))
                return overlap > 0 ? (p, Float(overlap / scale)) : nil
            }
        }
    }
}
