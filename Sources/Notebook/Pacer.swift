/// Who sets the pace of a run in step or class mode: the teacher. The run asks before each code
/// cell and each step of a walk-through; training asks after every batch. `StepPacer` is the
/// terminal's (`--step`); the class page has its own.
public protocol Pacer: AnyObject {
    /// Returns when the teacher goes on; throws `LessonQuit` to end the lesson there (or
    /// `Interrupted`). Meanwhile, in a walk-through, `explorer` answers the teacher's questions.
    func wait(_ what: String, explorer: (any WalkThroughExplorer)?) throws
    /// After every training batch: returns when training may go on (at once, unless paused).
    func trainingMayGoOn()
    /// Whether the teacher asked training to stop after the epoch under way.
    var stopsAfterThisEpoch: Bool { get }
}

/// What a teacher can ask at a step of a walk-through.
public enum WalkThroughRequest: Equatable, Sendable {
    /// The walk-through so far again, with test image `index`.
    case image(Int)
    /// The next test image of class `index` (0-9) after the current image.
    case nextOfClass(Int)
    /// Inside the layer just passed: an Inception block's paths and their concatenation, a
    /// residual block's branch, shortcut and sum, a dense block's growing concatenation.
    case insideBlock
}

/// Answers a teacher's questions at a step of a walk-through (see `WalkThrough`).
public protocol WalkThroughExplorer: AnyObject {
    func answer(_ request: WalkThroughRequest) throws
}
