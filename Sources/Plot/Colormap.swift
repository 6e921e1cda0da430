/// Maps a value in 0...1 to a colour.
public struct Colormap: Sendable {
    public let name: String
    /// Evenly spaced anchor colours, interpolated linearly.
    let anchors: [Color]

    public init(name: String, anchors: [Color]) {
        precondition(anchors.count >= 2)
        (self.name, self.anchors) = (name, anchors)
    }

    /// The colour at t (clamped to 0...1; NaN gives the first anchor).
    public func color(_ t: Double) -> Color {
        let clamped = t.isNaN ? 0 : min(max(t, 0), 1)
        let position = clamped * Double(anchors.count - 1)
        let i = min(Int(position), anchors.count - 2)
        return anchors[i].mixed(with: anchors[i + 1], position - Double(i))
    }

    /// Perceptually uniform, dark blue to yellow: for activations. (Anchors sampled from
    /// matplotlib's viridis.)
    public static let viridis = Colormap(name: "viridis", anchors: [
        0x440154, 0x482475, 0x414487, 0x355F8D, 0x2A788E, 0x21918C, 0x22A884, 0x44BF70, 0x7AD151, 0xBDDF26, 0xFDE725,
    ].map { Color(hex: $0) })

    /// Blue for negative, white at the middle, red for positive: for weights, with the scale
    /// symmetric around zero so white means zero.
    public static let diverging = Colormap(name: "blue-white-red", anchors: [
        0x2166AC, 0x4393C3, 0x92C5DE, 0xD1E5F0, 0xF7F7F7, 0xFDDBC7, 0xF4A582, 0xD6604D, 0xB2182B,
    ].map { Color(hex: $0) })

    /// White to dark blue: for shares and counts, where zero should look like nothing. (Anchors
    /// sampled from matplotlib's Blues.)
    public static let blues = Colormap(name: "blues", anchors: [
        0xF7FBFF, 0xDEEBF7, 0xC6DBEF, 0x9ECAE1, 0x6BAED6, 0x4292C6, 0x2171B5, 0x08519C, 0x08306B,
    ].map { Color(hex: $0) })

    /// Black to white: for input images.
    public static let gray = Colormap(name: "gray", anchors: [Color(hex: 0x000000), Color(hex: 0xFFFFFF)])
}
