import Foundation
import Localization

/// A photo of one's own beside the image the network is given: the photo, scaled down, with the
/// box its trimming kept; an arrow; the small grayscale image made from it as the data set's
/// images were made, drawn pixel for pixel.
///
///     var picture = PreparedPhotoPicture(title: "Your image: shoe.jpg", photo: photo,
///                                        crop: (x: 310, y: 420, width: 2900, height: 1500),
///                                        prepared: pixels, side: 28)
///     let canvas = try picture.render()
public struct PreparedPhotoPicture {
    public var title: String
    public var notes: [String] = []
    public var photo: RGBAImage
    /// What trimming kept, in the photo's pixels.
    public var crop: (x: Int, y: Int, width: Int, height: Int)
    /// `side`×`side` intensities in 0...1, light on black.
    public var prepared: [Float]
    public var side: Int

    public init(title: String, photo: RGBAImage, crop: (x: Int, y: Int, width: Int, height: Int), prepared: [Float], side: Int) {
        precondition(prepared.count == side * side, "\(prepared.count) values for a \(side)×\(side) image")
        (self.title, self.photo, self.crop, self.prepared, self.side) = (title, photo, crop, prepared, side)
    }

    public func render(scale: Double = 1) throws -> Canvas {
        let panel = 300.0, gap = 70.0, margin = 20.0
        let probe = try Canvas.probe()
        let top = Canvas.headingHeight(notes: notes.count) + 6
        let photoScale = min(panel / Double(photo.width), panel / Double(photo.height))
        let (photoWidth, photoHeight) = (Double(photo.width) * photoScale, Double(photo.height) * photoScale)
        let width = max(margin * 2 + panel * 2 + gap, probe.headingWidth(title, notes: notes) + 2 * margin)
        let height = top + panel + 52
        let canvas = try Canvas(width: width, height: height, scale: scale)
        canvas.heading(title, notes: notes, x: margin)

        // The photo, centred in its panel, shrunk on the way so that a phone's 12 megapixels never
        // become 12 million colours.
        let (columns, rows, colours) = shrunk(toAtMost: Int((max(photoWidth, photoHeight) * scale * 2).rounded(.up)))
        let photoX = margin + (panel - photoWidth) / 2, photoY = top + (panel - photoHeight) / 2
        canvas.image(colours, columns: columns, rows: rows, x: photoX, y: photoY, width: photoWidth, height: photoHeight)
        canvas.strokeRect(x: photoX, y: photoY, width: photoWidth, height: photoHeight, color: .gridLine)
        canvas.strokeRect(x: photoX + Double(crop.x) * photoScale, y: photoY + Double(crop.y) * photoScale,
                          width: Double(crop.width) * photoScale, height: Double(crop.height) * photoScale, color: .alarm, lineWidth: 2)
        canvas.text(localized("your photo, \(photo.width)×\(photo.height); red: what trimming kept",
                              zh: "你的照片，\(photo.width)×\(photo.height)；红框：裁剪保留的部分"), x: margin + panel / 2,
                    y: top + panel + 22, size: 12, color: .muted, align: .center)

        // The arrow, then the prepared image pixel for pixel.
        let arrowY = top + panel / 2, arrowStart = margin + panel + 12, arrowEnd = margin + panel + gap - 12
        canvas.line([(arrowStart, arrowY), (arrowEnd - 8, arrowY)], color: .muted, width: 2)
        canvas.arrowHead(x: arrowEnd, y: arrowY, size: 10, color: .muted, pointingRight: true)
        let preparedX = margin + panel + gap
        canvas.image(prepared.map { Colormap.gray.color(Double($0)) }, columns: side, rows: side,
                     x: preparedX, y: top, width: panel, height: panel)
        canvas.strokeRect(x: preparedX, y: top, width: panel, height: panel, color: .gridLine)
        canvas.text(localized("what the network sees: \(side)×\(side), light on black",
                              zh: "网络看到的：\(side)×\(side)，黑底亮色"), x: preparedX + panel / 2,
                    y: top + panel + 22, size: 12, color: .muted, align: .center)
        return canvas
    }

    /// The photo averaged down by a whole factor so that its longer side is at most `limit`
    /// pixels, as colours.
    func shrunk(toAtMost limit: Int) -> (columns: Int, rows: Int, colours: [Color]) {
        let factor = max(1, (max(photo.width, photo.height) + limit - 1) / max(limit, 1))
        let (columns, rows) = (max(1, photo.width / factor), max(1, photo.height / factor))
        var colours: [Color] = []
        colours.reserveCapacity(columns * rows)
        for r in 0..<rows {
            for c in 0..<columns {
                var sum = (0, 0, 0)
                for y in (r * factor)..<(r * factor + factor) {
                    for x in (c * factor)..<(c * factor + factor) {
                        let i = (y * photo.width + x) * 4
                        sum = (sum.0 + Int(photo.rgba[i]), sum.1 + Int(photo.rgba[i + 1]), sum.2 + Int(photo.rgba[i + 2]))
                    }
                }
                let n = Double(factor * factor * 255)
                colours.append(Color(red: Double(sum.0) / n, green: Double(sum.1) / n, blue: Double(sum.2) / n))
            }
        }
        return (columns, rows, colours)
    }
}
