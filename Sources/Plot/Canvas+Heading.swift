import Foundation

/// The heading most pictures share: a bold title on the left, then lines of notes (what is shown,
/// what was left out, how to read it).
extension Canvas {
    /// Where the content starts under a title and `notes` lines of notes.
    static func headingHeight(notes: Int) -> Double { 36 + Double(notes) * 17 + 8 }

    /// The width the title and its notes take.
    func headingWidth(_ title: String, notes: [String]) -> Double {
        ([textWidth(title, size: 16, bold: true)] + notes.map { textWidth($0, size: 12) }).max() ?? 0
    }

    func heading(_ title: String, notes: [String], x: Double) {
        text(title, x: x, y: 26, size: 16, bold: true)
        for (i, note) in notes.enumerated() { text(note, x: x, y: 48 + Double(i) * 17, size: 12, color: .muted) }
    }

    /// A canvas only for measuring text before the picture's size is known.
    static func probe() throws -> Canvas { try Canvas(width: 10, height: 10) }
}
