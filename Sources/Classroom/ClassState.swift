import Foundation
import Notebook
import Synchronization

/// What the class page shows, shared between the lesson (which adds to it as it runs) and the
/// server (which serves it, and takes the teacher's commands into it). Everything is behind one
/// lock; whoever changes it tells the followers (`onChange`).
public final class ClassState: Sendable {
    /// One thing the page shows, in the order the lesson showed it.
    public struct Entry: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable { case prose, code, output, picture, note }
        public var kind: Kind
        /// The lesson's cell it belongs to (nil for notes).
        public var cell: Int?
        public var html: String
        /// For pictures: the file's name in the lesson's folder.
        public var picture: String?
        public var links: [PictureLink]?
    }

    /// Training as the progress bar shows it.
    public struct Progress: Codable, Sendable, Equatable {
        public var epoch: Int, epochs: Int, batch: Int, batches: Int
        public var loss: Double, accuracy: Double, examplesPerSecond: Double
        /// Seconds of training left, estimated from the speed so far.
        public var remaining: Double?
    }

    /// What changes often, sent to every follower on every change; small.
    public struct Head: Codable, Sendable, Equatable {
        public var lesson: String
        public var title: String
        public var revision = 0
        /// How many entries there are.
        public var entries = 0
        /// The teacher's place: an entry; nil means the newest.
        public var view: Int?
        /// What the lesson waits for ("run the next cell"), nil while it works.
        public var waiting: String?
        /// Whether the teacher can ask about the walk-through step it waits at.
        public var exploring = false
        public var progress: Progress?
        public var status: String?
        public var paused = false
        public var stopAfterEpoch = false
        public var finished = false
        /// How many times each picture has been drawn again since it was first shown (only those
        /// drawn again, so the head stays small however many pictures a lesson shows).
        public var redrawings: [String: Int] = [:]
    }

    /// What the teacher asked of the lesson, for the lesson to take when it waits.
    public enum Request: Equatable, Sendable {
        case goOn
        case explore(WalkThroughRequest)
    }

    private struct Shared {
        var head: Head
        var entries: [Entry] = []
        var requests: [Request] = []
        /// Every picture the lesson has shown.
        var pictures: Set<String> = []

        mutating func drew(_ picture: String) {
            if !pictures.insert(picture).inserted { head.redrawings[picture, default: 0] += 1 }
        }
    }
    private let shared: Mutex<Shared>
    /// The folder the pictures are in.
    public let folder: String
    private let listeners = Mutex<[UUID: @Sendable (Head) -> Void]>([:])

    public init(lesson: String, title: String, folder: String) {
        shared = Mutex(Shared(head: Head(lesson: lesson, title: title)))
        self.folder = folder
    }

    // MARK: Reading

    public var head: Head { shared.withLock { $0.head } }

    /// The entries from `first` on, with the head they belong to.
    public func entries(from first: Int) -> (head: Head, entries: [Entry]) {
        shared.withLock { s in (s.head, Array(s.entries[min(max(first, 0), s.entries.count)...])) }
    }

    /// Whether `name` is a picture the lesson has shown (only those are served).
    public func hasPicture(_ name: String) -> Bool { shared.withLock { $0.pictures.contains(name) } }

    // MARK: Followers

    /// `listener` is told the head after every change, until `stopListening`.
    public func listen(_ listener: @escaping @Sendable (Head) -> Void) -> UUID {
        let id = UUID()
        listeners.withLock { $0[id] = listener }
        return id
    }

    public func stopListening(_ id: UUID) { _ = listeners.withLock { $0.removeValue(forKey: id) } }

    public var listenerCount: Int { listeners.withLock { $0.count } }

    /// Changes the shared state and tells every follower.
    @discardableResult
    private func change<T: Sendable>(_ body: (inout Shared) -> T) -> T {
        let (result, head) = shared.withLock { s -> (T, Head) in
            let result = body(&s)
            s.head.revision += 1
            s.head.entries = s.entries.count
            return (result, s.head)
        }
        for listener in listeners.withLock({ Array($0.values) }) { listener(head) }
        return result
    }

    // MARK: The lesson's side

    func append(_ entry: Entry) {
        change { s in
            s.entries.append(entry)
            if let picture = entry.picture { s.drew(picture) }
        }
    }

    func redrawn(_ picture: String) { change { $0.drew(picture) } }
    func setProgress(_ progress: Progress?) { change { $0.head.progress = progress } }
    func setStatus(_ status: String?) { change { $0.head.status = status } }
    func setWaiting(_ what: String?, exploring: Bool) {
        change { s in
            s.head.waiting = what
            s.head.exploring = what != nil && exploring
        }
    }
    func setFinished() { change { $0.head.finished = true } }

    /// The teacher's oldest request, if any.
    func takeRequest() -> Request? {
        shared.withLock { s in s.requests.isEmpty ? nil : s.requests.removeFirst() }
    }

    var paused: Bool { shared.withLock { $0.head.paused } }
    var stopAfterEpoch: Bool { shared.withLock { $0.head.stopAfterEpoch } }

    // MARK: The teacher's side

    /// What the teacher can do from the page.
    public enum Command: Equatable, Sendable {
        /// The next cell or picture: shown again if the teacher went back, else the lesson goes on.
        case next
        /// The cell or picture before the one in view.
        case back
        /// Entry `index` in view.
        case jump(Int)
        /// Back to the newest entry.
        case follow
        case explore(WalkThroughRequest)
        case pause, resume, stopAfterEpoch
    }

    /// Why a command could not be done.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Does `command`, or says why not (the lesson is busy, there is no such entry).
    public func perform(_ command: Command) throws(Refusal) {
        let refusal: String? = change { s -> String? in
            let stops = s.entries.indices.filter { [.prose, .code, .picture].contains(s.entries[$0].kind) }
            switch command {
            case .next:
                if let view = s.head.view {
                    let next = stops.first { $0 > view }
                    s.head.view = next.flatMap { $0 < (stops.last ?? 0) ? $0 : nil }
                    return nil
                }
                guard s.head.waiting != nil else { return "the lesson is busy; it goes on by itself" }
                s.requests.append(.goOn)
            case .back:
                let view = s.head.view ?? (s.entries.count - 1)
                s.head.view = stops.last { $0 < view } ?? stops.first
            case .jump(let index):
                guard s.entries.indices.contains(index) else { return "there is no entry \(index)" }
                s.head.view = index == s.entries.count - 1 ? nil : index
            case .follow:
                s.head.view = nil
            case .explore(let request):
                guard s.head.exploring else { return "the lesson is not waiting in a walk-through" }
                s.requests.append(.explore(request))
            case .pause: s.head.paused = true
            case .resume: s.head.paused = false
            case .stopAfterEpoch: s.head.stopAfterEpoch = true
            }
            return nil
        }
        if let refusal { throw Refusal(description: refusal) }
    }
}
