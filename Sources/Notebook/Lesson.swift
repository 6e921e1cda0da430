import Foundation
import Localization
import NN

/// The training knobs of a lesson; each has a flag of the same name.
public struct LessonSettings: Codable, Equatable, Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var lr: Double
    /// Training examples used (all 60,000 if nil).
    public var trainSize: Int?
    /// Test examples used (all 10,000 if nil).
    public var testSize: Int?
    /// Side the 28×28 images are resized to (kept at 28 if nil).
    public var resize: Int?
    public var seed: UInt64 = 42
    public var threads: Int = 1

    public init(epochs: Int, batchSize: Int, lr: Double, trainSize: Int? = nil, testSize: Int? = nil, resize: Int? = nil) {
        (self.epochs, self.batchSize, self.lr, self.trainSize, self.testSize, self.resize) =
            (epochs, batchSize, lr, trainSize, testSize, resize)
    }

    /// The knobs that differ from `book`, as "epochs 10 (here 2)".
    public func differences(from book: LessonSettings) -> [String] {
        func size(_ n: Int?) -> String { n.map { $0.grouped } ?? localized("all", zh: "全部") }
        var out: [String] = []
        if epochs != book.epochs { out.append(localized("epochs \(book.epochs) (here \(epochs))", zh: "轮数 \(book.epochs)（这里 \(epochs)）")) }
        if batchSize != book.batchSize { out.append(localized("batch size \(book.batchSize) (here \(batchSize))", zh: "批量大小 \(book.batchSize)（这里 \(batchSize)）")) }
        if lr != book.lr { out.append(localized("lr \(book.lr) (here \(lr))", zh: "学习率 \(book.lr)（这里 \(lr)）")) }
        if trainSize != book.trainSize {
            out.append(localized("train size \(size(book.trainSize)) (here \(size(trainSize)))", zh: "训练集大小 \(size(book.trainSize))（这里 \(size(trainSize))）"))
        }
        if testSize != book.testSize {
            out.append(localized("test size \(size(book.testSize)) (here \(size(testSize)))", zh: "测试集大小 \(size(book.testSize))（这里 \(size(testSize))）"))
        }
        if resize != book.resize {
            let none = localized("none", zh: "无")
            out.append(localized("resize \(book.resize.map(String.init) ?? none) (here \(resize.map(String.init) ?? none))", zh: "缩放到 \(book.resize.map(String.init) ?? none)（这里 \(resize.map(String.init) ?? none)）"))
        }
        return out
    }

    enum CodingKeys: String, CodingKey {
        case epochs, batchSize = "batch_size", lr, trainSize = "train_size", testSize = "test_size", resize, seed, threads
    }

    public func encode(to encoder: any Encoder) throws {
        // Write nulls explicitly, so every key is always present for readers of metrics.json.
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(lr, forKey: .lr)
        try c.encode(trainSize, forKey: .trainSize)
        try c.encode(testSize, forKey: .testSize)
        try c.encode(resize, forKey: .resize)
        try c.encode(seed, forKey: .seed)
        try c.encode(threads, forKey: .threads)
    }
}

/// The network a lesson is about, declared once in its lesson: the chapter's comparison, the
/// benchmark and the tests all take it from there.
public struct LessonNetwork: Sendable {
    /// As tables print it: `ResNet-18`.
    public let name: String
    /// The year of its paper.
    public let year: Int
    /// The idea it added, in a few words.
    public let idea: Localized
    public let make: @Sendable () -> any Layer

    public init(_ name: String, year: Int, idea: Localized, make: @escaping @Sendable () -> any Layer) {
        (self.name, self.year, self.idea, self.make) = (name, year, idea, make)
    }
}

/// One chapter of the course, written as a literate Swift file in `Lessons/`.
///
///     public let leNetLesson = Lesson(
///         name: "lenet", title: "LeNet", summary: "...",
///         inClass: LessonSettings(epochs: 10, batchSize: 256, lr: 0.9),
///         book: LessonSettings(epochs: 10, batchSize: 256, lr: 0.9)
///     ) { nb in
///         ...
///     }
///
/// `#filePath` records the file, so the runner can show its prose and code cell by cell. The
/// catalogue of lessons gives each its text as it was built (`withSourceText`), so what the runner
/// shows is the code that runs; a lesson without it (one written in a test) is read from its file.
public struct Lesson: Sendable {
    public let name: String
    public let title: String
    /// One line for `lesson list`.
    public let summary: Localized
    /// The default: minutes on a two-core laptop.
    public let inClass: LessonSettings
    /// The book's settings (`--full`).
    public let book: LessonSettings
    /// What the in-class preset changes from the book, said on screen before training.
    public let inClassNote: Localized?
    /// Whether the lesson reads the data set (loaded, and checked, before its first cell).
    public let usesData: Bool
    /// The network it trains, if it trains one.
    public let network: LessonNetwork?
    /// The side of the images its network trains on with the book's settings.
    public var trainingSide: Int { book.resize ?? 28 }
    public let sourceFile: String
    /// The text of `sourceFile` when the lesson was compiled, if the build recorded it.
    public private(set) var sourceText: String?
    let body: @Sendable (LessonRun) throws -> Void

    public init(name: String, title: String, summary: Localized, inClass: LessonSettings, book: LessonSettings,
                inClassNote: Localized? = nil, network: LessonNetwork? = nil, usesData: Bool = true, sourceFile: String = #filePath,
                _ body: @escaping @Sendable (LessonRun) throws -> Void) {
        (self.network, self.usesData) = (network, usesData)
        (self.name, self.title, self.summary, self.inClass, self.book, self.inClassNote, self.sourceFile, self.body) =
            (name, title, summary, inClass, book, inClassNote, sourceFile, body)
    }

    /// This lesson with its built-in text, looked up by file name in `texts`.
    public func withSourceText(from texts: [String: String]) -> Lesson {
        var lesson = self
        lesson.sourceText = texts[(sourceFile as NSString).lastPathComponent]
        return lesson
    }
}
