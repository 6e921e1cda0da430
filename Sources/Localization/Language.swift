/// The language a lesson speaks: its prose, the lines it prints and the words in its pictures.
/// Flags, `--help` and error messages stay English.
///
/// A run sets it once for everything it does (`Language.$current.withValue(.zh) { ... }`), so
/// the code that writes a sentence only says it in both languages, next to each other:
///
///     say(localized("Training for \(n) epochs", zh: "训练 \(n) 轮"))
public enum Language: String, CaseIterable, Sendable {
    case en, zh

    /// The language of the run in progress; English outside one.
    @TaskLocal public static var current: Language = .en

    /// The language a locale names, as `LANG` or `LC_ALL` hold it (`zh_CN.UTF-8`, `zh_TW`,
    /// `en_US.UTF-8`, `C`); nil for one no lesson speaks.
    public init?(locale: String) {
        let code = locale.prefix { $0.isLetter }.lowercased()
        guard let language = Language(rawValue: code) else { return nil }
        self = language
    }

    /// The language the environment asks for, in POSIX's order of precedence (`LC_ALL`, then
    /// `LC_MESSAGES`, then `LANG`; the first that is set and not empty decides); English when
    /// it names none that a lesson speaks.
    public static func preferred(by environment: [String: String]) -> Language {
        for variable in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let value = environment[variable], !value.isEmpty { return Language(locale: value) ?? .en }
        }
        return .en
    }

    /// The tag of HTML's `lang` attribute and of a notebook's metadata.
    public var tag: String { self == .zh ? "zh-CN" : "en" }
}

/// A sentence in both languages, for text that is written once and read later in whatever
/// language the run speaks (a lesson's summary, a network's idea).
public struct Localized: Sendable, Equatable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let english: String
    /// Nil where nobody has written it yet; the English is shown instead.
    public let chinese: String?

    public init(_ english: String, zh chinese: String) { (self.english, self.chinese) = (english, chinese) }
    public init(stringLiteral english: String) { (self.english, self.chinese) = (english, nil) }

    public func text(in language: Language) -> String {
        switch language {
        case .en: english
        case .zh: chinese ?? english
        }
    }

    /// The text in the language of the run in progress.
    public var description: String { text(in: .current) }
}

/// `english` or `chinese`, whichever the run in progress speaks.
public func localized(_ english: String, zh chinese: String) -> String {
    Localized(english, zh: chinese).description
}

extension Unicode.Scalar {
    /// Whether a terminal gives the character two columns (East Asian Wide and Fullwidth: Chinese
    /// characters, their punctuation, full-width forms), and a line of it may break anywhere.
    public var isWide: Bool {
        switch value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x20000...0x3FFFD: true
        default: false
        }
    }
}

extension Character {
    /// See `Unicode.Scalar.isWide`.
    public var isWide: Bool { unicodeScalars.first?.isWide ?? false }

    /// Chinese punctuation that ends a phrase or closes a bracket: a line never starts with it,
    /// and no space is needed after a line that ends with it.
    public var isClosingPunctuation: Bool { "，。、；：？！）」』》〉”’…—".contains(self) }
    /// Chinese punctuation that opens a bracket or quote: a line never ends with it.
    public var isOpeningPunctuation: Bool { "（「『《〈“‘".contains(self) }
}

/// Lines of one paragraph joined as a reader expects: with a space between words, and none
/// where either side is Chinese punctuation or both sides are Chinese (which has no spaces).
public func joinedParagraph(_ lines: [String]) -> String {
    lines.reduce(into: "") { text, line in
        guard let before = text.last, let after = line.first else { text += line; return }
        let joinsTight = (before.isWide && after.isWide) || before.isClosingPunctuation || before.isOpeningPunctuation
            || after.isClosingPunctuation || after.isOpeningPunctuation
        text += (joinsTight ? "" : " ") + line
    }
}
