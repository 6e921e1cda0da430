import Files
import Foundation
import Synchronization

/// The folder a run writes (`output/<lesson>/`), held by this run alone and kept whole.
///
/// - A lock (`.lock`) keeps a second run out, naming the process that holds it; the kernel
///   releases it however the run ends, so a killed run never leaves the folder locked.
/// - Every file is written atomically (`AtomicFile`); temporary files left by a killed run are
///   removed when the next run takes the folder.
/// - A run's record (metrics, notebook, pictures, checkpoint) replaces the last run's only once
///   it is worth more: from its first finished epoch, or when the lesson ends. Until then each
///   file of the last run that it replaces is kept aside (hard-linked into `.previous/`) and put
///   back if the run ends early (an error, Ctrl-C, `q` before training), by this run, or, if it
///   was killed outright, by the next run that takes the folder.
final class RunFolder: Sendable {
    let path: String
    /// The folder as the user named it, for messages: `output/lenet`.
    let display: String
    private let lock: FolderLock
    private let state: Mutex<State>
    private let cleanupKey = Mutex<Int?>(nil)

    private struct State {
        var committed: Bool
        /// Names whose last-run version is in `.previous/`.
        var keptAside: Set<String> = []
        /// Names this run wrote that the last run did not have.
        var created: Set<String> = []
        /// Every name this run wrote.
        var written: Set<String> = []
    }
    /// The pictures the last run left, which this run's may not all replace.
    private let lastRunPictures: Set<String>

    private var previous: String { (path as NSString).appendingPathComponent(".previous") }
    private var createdList: String { (previous as NSString).appendingPathComponent(".created") }

    /// Takes the folder (creating it and the folders between it and `root`, none of which may be
    /// a symbolic link). If `keepsPrevious` says so of the folder as the last run left it, that
    /// run's files are kept until `commit()`.
    init(path: String, display: String, root: String? = nil, keepsPrevious: (_ folder: String) -> Bool) throws {
        (self.path, self.display) = (path, display)
        try Folder.createReal(path, below: root ?? (path as NSString).deletingLastPathComponent)
        lock = try FolderLock(path)
        TemporaryFiles.removeStale(in: path)
        Self.restoreKilledRun(in: path)
        lastRunPictures = Set(((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".png") })
        let keeps = keepsPrevious(path)
        state = Mutex(State(committed: !keeps))
        if keeps {
            let key = QuitCleanup.add { [weak self] in self?.rollBack() }
            cleanupKey.withLock { $0 = key }
        }
    }

    var isCommitted: Bool { state.withLock { $0.committed } }

    func url(_ name: String) -> URL { URL(fileURLWithPath: (path as NSString).appendingPathComponent(name)) }
    func displayPath(_ name: String) -> String { (display as NSString).appendingPathComponent(name) }

    /// Writes `name` atomically. A file that is not `partOfRecord` (the state to resume from) is
    /// never kept aside or put back.
    func write(_ data: Data, to name: String, partOfRecord: Bool = true) throws {
        let staged = try StagedFile(data, beside: url(name))
        do {
            try state.withLock { state in
                if partOfRecord && !state.committed { try keepPrevious(name, &state) }
                try staged.install()
                state.written.insert(name)
            }
        } catch {
            staged.discard()
            throw error
        }
    }

    /// From now on this run's files are the record: the last run's kept-aside files are dropped.
    func commit() {
        state.withLock { state in
            guard !state.committed else { return }
            state.committed = true
            Self.discard(previous)
        }
        cleanupKey.withLock { key in if let k = key { QuitCleanup.remove(k) }; key = nil }
    }

    /// After a run that went to its end: removes the last run's pictures that this run did not
    /// draw again (a step of another test image, a layer since renamed), so that the folder holds
    /// one run's pictures, those its notebook shows.
    func removeLastRunsOtherPictures() {
        state.withLock { state in
            guard state.committed else { return }
            for name in lastRunPictures.subtracting(state.written) { unlink(url(name).path) }
        }
    }

    /// The end of the run: puts back the last run's files if the run did not commit, and lets the
    /// next run take the folder.
    func finish() {
        rollBack()
        cleanupKey.withLock { key in if let k = key { QuitCleanup.remove(k) }; key = nil }
        lock.release()
    }

    // MARK: Keeping the last run's files

    /// Before `name` is first replaced: link the last run's version into `.previous/`, or note
    /// that there was none; on disk first, so that a run killed right after is undone.
    private func keepPrevious(_ name: String, _ state: inout State) throws {
        guard !state.keptAside.contains(name), !state.created.contains(name) else { return }
        try Self.makeRealFolder(previous)
        let existing = url(name).path, kept = (previous as NSString).appendingPathComponent(name)
        var info = stat()
        if lstat(existing, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR {
            throw FileError(path: existing, problem: "is a folder, where the run writes a file of that name")
        }
        if link(existing, kept) == 0 {
            state.keptAside.insert(name)
        } else if errno == ENOENT {
            state.created.insert(name)
            try AtomicFile.write(Data(state.created.sorted().joined(separator: "\n").utf8), to: URL(fileURLWithPath: createdList))
        } else {
            throw FileError(path: existing, errno: errno, doing: "be kept while the run has not finished an epoch")
        }
    }

    /// Creates `path` unless it is already a folder; a symlink there is refused, never followed.
    static func makeRealFolder(_ path: String) throws {
        guard mkdir(path, 0o755) != 0 else { return }
        var info = stat()
        guard errno == EEXIST, lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw FileError(path: path, problem: "is in the way: not a folder this run made")
        }
    }

    private func rollBack() {
        state.withLock { state in
            guard !state.committed else { return }
            Self.restoreKilledRun(in: path)
            state.keptAside = []
            state.created = []
        }
    }

    /// Puts back what `.previous/` holds (after a run that ended before committing, or was
    /// killed): the kept files renamed over this run's, this run's new files removed.
    static func restoreKilledRun(in path: String) {
        let previous = (path as NSString).appendingPathComponent(".previous")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] where name.hasPrefix(".previous-discarded-") {
            try? FileManager.default.removeItem(atPath: (path as NSString).appendingPathComponent(name))
        }
        var info = stat()
        guard lstat(previous, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFDIR else { unlink(previous); return }  // planted: never followed
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: previous) else { return }
        let listed = (try? String(contentsOfFile: (previous as NSString).appendingPathComponent(".created"), encoding: .utf8)) ?? ""
        for name in listed.split(separator: "\n") where !name.contains("/") && !name.hasPrefix(".") {
            unlink((path as NSString).appendingPathComponent(String(name)))
        }
        for name in names where !name.hasPrefix(".") {
            rename((previous as NSString).appendingPathComponent(name), (path as NSString).appendingPathComponent(name))
        }
        discard(previous)
    }

    /// Removes a `.previous/` folder: renamed first, so that a run killed half-way through never
    /// leaves a partial one to be "restored".
    static func discard(_ previous: String) {
        let doomed = previous + "-discarded-\(UInt32.random(in: 0...UInt32.max))"
        guard rename(previous, doomed) == 0 else { return }
        try? FileManager.default.removeItem(atPath: doomed)
    }
}
