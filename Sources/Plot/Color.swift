import Foundation

/// A colour with components in 0...1.
public struct Color: Equatable, Sendable {
    public var red: Double, green: Double, blue: Double, alpha: Double

    public init(red: Double, green: Double, blue: Double, alpha: Double = 1) {
        (self.red, self.green, self.blue, self.alpha) = (red, green, blue, alpha)
    }

    /// From 0xRRGGBB.
    public init(hex: UInt32, alpha: Double = 1) {
        self.init(red: Double(hex >> 16 & 255) / 255, green: Double(hex >> 8 & 255) / 255,
                  blue: Double(hex & 255) / 255, alpha: alpha)
    }

    public func withAlpha(_ alpha: Double) -> Color { Color(red: red, green: green, blue: blue, alpha: alpha) }

    /// Linear blend: t = 0 gives self, t = 1 gives `other`.
    public func mixed(with other: Color, _ t: Double) -> Color {
        Color(red: red + (other.red - red) * t, green: green + (other.green - green) * t,
              blue: blue + (other.blue - blue) * t, alpha: alpha + (other.alpha - alpha) * t)
    }

    /// Relative luminance as WCAG defines it for sRGB: 0 for black, 1 for white.
    public var luminance: Double {
        func linear(_ c: Double) -> Double { c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4) }
        return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    }

    /// Ink or white, whichever contrasts more with this colour as a background.
    public var readableText: Color { luminance > 0.21 ? .ink : .white }

    public static let white = Color(hex: 0xFFFFFF)
    public static let black = Color(hex: 0x000000)
    /// Text and axes.
    public static let ink = Color(hex: 0x222222)
    public static let gridLine = Color(hex: 0xDDDDDD)
    public static let muted = Color(hex: 0x666666)
    /// Marks wrong predictions and problems.
    public static let alarm = Color(hex: 0xD62728)
    public static let good = Color(hex: 0x2CA02C)

    /// The series colours every chart uses, in order: the same quantity gets the same colour in
    /// every picture (the book's training curves: blue loss, magenta train acc, green test acc).
    public static let series: [Color] = [
        Color(hex: 0x1F77B4), Color(hex: 0xC2379A), Color(hex: 0x2CA02C), Color(hex: 0xD62728),
        Color(hex: 0xFF7F0E), Color(hex: 0x9467BD), Color(hex: 0x8C564B), Color(hex: 0x17BECF),
    ]
}
