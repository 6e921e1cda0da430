import CCairo
import Localization

/// The fonts pictures are drawn in: DejaVu Sans for Latin text, and for text with Chinese in it
/// the first installed font that has the Chinese glyphs (Cairo draws a string in one font, and
/// one without them would draw empty boxes).
public enum Fonts {
    public static let latin = "DejaVu Sans"
    /// Families tried for Chinese, most wanted first (Debian: fonts-noto-cjk, fonts-wqy-microhei,
    /// fonts-arphic-ukai, fonts-droid-fallback).
    public static let chineseCandidates = ["Noto Sans CJK SC", "WenQuanYi Micro Hei", "Source Han Sans SC", "AR PL UKai CN", "Droid Sans Fallback"]
    /// The Debian package `scripts/setup` installs for it.
    public static let chinesePackage = "fonts-wqy-microhei"

    /// The family Chinese is drawn in here, or nil when none is installed; looked up once.
    public static let chinese: String? = firstFamily(drawing: "卷积层汇聚层，批量规范化。", among: chineseCandidates)

    public struct Missing: Error, CustomStringConvertible {
        public var tried: [String]
        public var description: String {
            "no installed font can draw Chinese (looked for \(tried.joined(separator: ", "))): install one, e.g. "
                + "`sudo apt-get install \(Fonts.chinesePackage)` (or fonts-noto-cjk), or run scripts/setup; or use --lang en"
        }
    }

    /// Throws `Missing` unless the pictures can be drawn in `language`: called before a run
    /// starts, so a missing font is said at once, not after the training.
    public static func check(for language: Language) throws {
        if language == .zh && chinese == nil { throw Missing(tried: chineseCandidates) }
    }

    /// The family `text` is drawn in.
    static func family(for text: String) -> String {
        guard let chinese, text.unicodeScalars.contains(where: \.isWide) else { return latin }
        return chinese
    }

    /// The first of `families` whose font, as fontconfig resolves the name (it substitutes a
    /// font it has for one it has not), has a glyph for every character of `sample`.
    public static func firstFamily(drawing sample: String, among families: [String]) -> String? {
        families.first { family in
            let face = cairo_toy_font_face_create(family, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
            defer { cairo_font_face_destroy(face) }
            var matrix = cairo_matrix_t(), identity = cairo_matrix_t()
            cairo_matrix_init_scale(&matrix, 12, 12)
            cairo_matrix_init_identity(&identity)
            let options = cairo_font_options_create()
            defer { cairo_font_options_destroy(options) }
            guard let font = cairo_scaled_font_create(face, &matrix, &identity, options) else { return false }
            defer { cairo_scaled_font_destroy(font) }
            var glyphs: UnsafeMutablePointer<cairo_glyph_t>?
            var count: Int32 = 0
            let status = cairo_scaled_font_text_to_glyphs(font, 0, 0, sample, -1, &glyphs, &count, nil, nil, nil)
            defer { cairo_glyph_free(glyphs) }
            guard status == CAIRO_STATUS_SUCCESS, let glyphs, count == sample.unicodeScalars.count else { return false }
            return (0..<Int(count)).allSatisfy { glyphs[$0].index != 0 }
        }
    }
}
