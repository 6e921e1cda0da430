import CCairo
import Files
import Foundation

/// A white drawing surface in logical pixels, backed by a Cairo image surface `scale` times
/// larger (2 for HiDPI screens and sharp projector slides).
///
///     let canvas = try Canvas(width: 640, height: 400, scale: 2)
///     canvas.line([(10, 10), (100, 50)], color: Color.series[0], width: 2)
///     canvas.text("epoch", at: (320, 390), size: 13, align: .center)
///     try canvas.writePNG(to: URL(fileURLWithPath: "chart.png"))
///
/// The Cairo surface and context belong to the canvas and are freed with it; a failed Cairo
/// call is reported as a `Canvas.Failure`.
public final class Canvas {
    public let width: Double, height: Double, scale: Double
    let surface: OpaquePointer
    let context: OpaquePointer

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public enum Alignment { case left, center, right }

    public init(width: Double, height: Double, scale: Double = 1) throws {
        precondition(width > 0 && height > 0 && scale > 0)
        (self.width, self.height, self.scale) = (width, height, scale)
        let pixelsWide = Int32((width * scale).rounded(.up)), pixelsHigh = Int32((height * scale).rounded(.up))
        surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, pixelsWide, pixelsHigh)
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else {
            let message = String(cString: cairo_status_to_string(cairo_surface_status(surface)))
            cairo_surface_destroy(surface)
            throw Failure(description: "Cairo could not create a \(pixelsWide)×\(pixelsHigh) image: \(message)")
        }
        context = cairo_create(surface)
        cairo_scale(context, scale, scale)
        cairo_select_font_face(context, Fonts.latin, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
        fill(x: 0, y: 0, width: width, height: height, color: .white)
    }

    deinit {
        cairo_destroy(context)
        cairo_surface_destroy(surface)
    }

    /// Pixel size of the PNG.
    public var pixelWidth: Int { Int(cairo_image_surface_get_width(surface)) }
    public var pixelHeight: Int { Int(cairo_image_surface_get_height(surface)) }

    // MARK: Shapes

    func setColor(_ c: Color) { cairo_set_source_rgba(context, c.red, c.green, c.blue, c.alpha) }

    public func fill(x: Double, y: Double, width: Double, height: Double, color: Color) {
        setColor(color)
        cairo_rectangle(context, x, y, width, height)
        cairo_fill(context)
    }

    public func strokeRect(x: Double, y: Double, width: Double, height: Double, color: Color, lineWidth: Double = 1,
                           cornerRadius: Double = 0) {
        setColor(color)
        cairo_set_line_width(context, lineWidth)
        cairo_set_dash(context, nil, 0, 0)
        roundedRect(x: x, y: y, width: width, height: height, radius: cornerRadius)
        cairo_stroke(context)
    }

    public func fillRoundedRect(x: Double, y: Double, width: Double, height: Double, radius: Double, color: Color) {
        setColor(color)
        roundedRect(x: x, y: y, width: width, height: height, radius: radius)
        cairo_fill(context)
    }

    private func roundedRect(x: Double, y: Double, width: Double, height: Double, radius: Double) {
        let r = min(radius, width / 2, height / 2)
        guard r > 0 else { cairo_rectangle(context, x, y, width, height); return }
        cairo_new_sub_path(context)
        cairo_arc(context, x + width - r, y + r, r, -.pi / 2, 0)
        cairo_arc(context, x + width - r, y + height - r, r, 0, .pi / 2)
        cairo_arc(context, x + r, y + height - r, r, .pi / 2, .pi)
        cairo_arc(context, x + r, y + r, r, .pi, 3 * .pi / 2)
        cairo_close_path(context)
    }

    /// A polyline; `dash` lengths alternate on and off (empty for solid).
    public func line(_ points: [(Double, Double)], color: Color, width: Double = 1.5, dash: [Double] = []) {
        guard points.count >= 2 else { return }
        setColor(color)
        cairo_set_line_width(context, width)
        cairo_set_line_join(context, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(context, CAIRO_LINE_CAP_BUTT)
        dash.withUnsafeBufferPointer { cairo_set_dash(context, $0.baseAddress, Int32($0.count), 0) }
        cairo_move_to(context, points[0].0, points[0].1)
        for p in points.dropFirst() { cairo_line_to(context, p.0, p.1) }
        cairo_stroke(context)
        cairo_set_dash(context, nil, 0, 0)
    }

    public func circle(x: Double, y: Double, radius: Double, color: Color) {
        setColor(color)
        cairo_arc(context, x, y, radius, 0, 2 * .pi)
        cairo_fill(context)
    }

    /// An arrow head with its tip at (x, y), pointing down (or right).
    public func arrowHead(x: Double, y: Double, size: Double = 6, color: Color, pointingRight: Bool = false) {
        setColor(color)
        cairo_move_to(context, x, y)
        if pointingRight {
            cairo_line_to(context, x - size, y - size / 2)
            cairo_line_to(context, x - size, y + size / 2)
        } else {
            cairo_line_to(context, x - size / 2, y - size)
            cairo_line_to(context, x + size / 2, y - size)
        }
        cairo_close_path(context)
        cairo_fill(context)
    }

    // MARK: Text

    private func setFont(for string: String, size: Double, bold: Bool) {
        cairo_select_font_face(context, Fonts.family(for: string), CAIRO_FONT_SLANT_NORMAL,
                               bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(context, size)
    }

    /// Width of `string` in logical pixels.
    public func textWidth(_ string: String, size: Double, bold: Bool = false) -> Double {
        setFont(for: string, size: size, bold: bold)
        var extents = cairo_text_extents_t()
        cairo_text_extents(context, string, &extents)
        return extents.x_advance
    }

    /// Draws `string` with its baseline at y, aligned on x; `rotated` turns it a quarter turn
    /// counter-clockwise (for a vertical axis label).
    public func text(_ string: String, x: Double, y: Double, size: Double = 13, color: Color = .ink,
                     bold: Bool = false, align: Alignment = .left, rotated: Bool = false) {
        text(string, x: x, y: y, size: size, color: color, bold: bold, align: align, angle: rotated ? .pi / 2 : 0)
    }

    /// Draws `string` turned `angle` radians counter-clockwise about (x, y), its baseline through
    /// that point and aligned on it (for slanted column labels).
    public func text(_ string: String, x: Double, y: Double, size: Double = 13, color: Color = .ink,
                     bold: Bool = false, align: Alignment = .left, angle: Double) {
        setFont(for: string, size: size, bold: bold)
        setColor(color)
        let w = textWidth(string, size: size, bold: bold)
        let shift = align == .left ? 0 : align == .center ? -w / 2 : -w
        cairo_save(context)
        cairo_translate(context, x, y)
        if angle != 0 { cairo_rotate(context, -angle) }
        cairo_move_to(context, shift, 0)
        cairo_show_text(context, string)
        cairo_restore(context)
    }

    /// Shortens `string` with an ellipsis until it fits `width`.
    public func fitted(_ string: String, width: Double, size: Double, bold: Bool = false) -> String {
        guard textWidth(string, size: size, bold: bold) > width else { return string }
        var s = string
        while !s.isEmpty && textWidth(s + "…", size: size, bold: bold) > width { s.removeLast() }
        return s + "…"
    }

    // MARK: Images

    /// Draws a `columns`×`rows` grid of colours into the rectangle, each cell a sharp square
    /// (nearest-neighbour scaling, no blur).
    public func image(_ pixels: [Color], columns: Int, rows: Int, x: Double, y: Double, width: Double, height: Double) {
        precondition(pixels.count == columns * rows)
        guard columns > 0 && rows > 0 else { return }
        let source = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(columns), Int32(rows))!
        defer { cairo_surface_destroy(source) }
        cairo_surface_flush(source)
        let stride = Int(cairo_image_surface_get_stride(source))
        let data = cairo_image_surface_get_data(source)!
        for r in 0..<rows {
            let row = UnsafeMutableRawPointer(data + r * stride).assumingMemoryBound(to: UInt32.self)
            for c in 0..<columns {
                let p = pixels[r * columns + c]
                // Cairo's ARGB32 is premultiplied, native-endian 0xAARRGGBB.
                func byte(_ v: Double) -> UInt32 { UInt32((min(max(v, 0), 1) * 255).rounded()) }
                let a = p.alpha
                row[c] = byte(a) << 24 | byte(p.red * a) << 16 | byte(p.green * a) << 8 | byte(p.blue * a)
            }
        }
        cairo_surface_mark_dirty(source)
        cairo_save(context)
        cairo_rectangle(context, x, y, width, height)
        cairo_clip(context)
        cairo_translate(context, x, y)
        cairo_scale(context, width / Double(columns), height / Double(rows))
        cairo_set_source_surface(context, source, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(context), CAIRO_FILTER_NEAREST)
        cairo_paint(context)
        cairo_restore(context)
    }

    // MARK: Output

    /// The picture as PNG bytes.
    public func pngData() throws -> Data {
        cairo_surface_flush(surface)
        final class Sink { var data = Data() }
        let sink = Sink()
        let status = cairo_surface_write_to_png_stream(surface, { closure, bytes, length in
            let sink = Unmanaged<Sink>.fromOpaque(closure!).takeUnretainedValue()
            sink.data.append(bytes!, count: Int(length))
            return CAIRO_STATUS_SUCCESS
        }, Unmanaged.passUnretained(sink).toOpaque())
        withExtendedLifetime(sink) {}
        guard status == CAIRO_STATUS_SUCCESS else {
            throw Failure(description: "Cairo could not encode the PNG: \(String(cString: cairo_status_to_string(status)))")
        }
        return sink.data
    }

    /// Writes the PNG atomically (see `AtomicFile`).
    public func writePNG(to url: URL) throws {
        try AtomicFile.write(try pngData(), to: url)
    }
}
