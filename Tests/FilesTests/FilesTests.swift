import Foundation
import Testing
import TestSupport
@testable import Files

@Suite struct AtomicFileTests {
    @Test func writesAndReplaces() throws {
        let folder = TemporaryFolder()
        let url = URL(fileURLWithPath: folder.path + "/metrics.json")
        try AtomicFile.write(Data("one".utf8), to: url)
        try AtomicFile.write(Data("two".utf8), to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "two")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["metrics.json"], "no temporary file left")
    }

    /// A symlink planted where the target will be is replaced, never written through; and the
    /// temporary file itself cannot be a planted symlink, because its name is unpredictable and
    /// it is created exclusively.
    @Test func neverWritesThroughASymlink() throws {
        let folder = TemporaryFolder(), elsewhere = TemporaryFolder()
        let victim = elsewhere.write("victim", Array("keep me".utf8))
        let target = folder.path + "/training.png"
        try FileManager.default.createSymbolicLink(atPath: target, withDestinationPath: victim)
        try AtomicFile.write(Data("new".utf8), to: URL(fileURLWithPath: target))
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: target)) == nil, "the link itself was replaced")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "new")
    }

    @Test func failureNamesThePathInWords() throws {
        let folder = TemporaryFolder()
        let url = URL(fileURLWithPath: folder.path + "/missing-folder/metrics.json")
        do {
            try AtomicFile.write(Data("x".utf8), to: url)
            Issue.record("wrote into a folder that does not exist")
        } catch let error as FileError {
            #expect(error.description == "\(url.path): cannot be written: No such file or directory")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test func staleTemporaryFilesAreRemovedAndNothingElse() throws {
        let folder = TemporaryFolder(), elsewhere = TemporaryFolder()
        folder.write(".metrics.json\(TemporaryFiles.marker)abc123", [1])
        folder.write("metrics.json", [2])
        folder.write(".lock", [])
        let victim = elsewhere.write("victim", [3])
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/.x.png\(TemporaryFiles.marker)q", withDestinationPath: victim)
        TemporaryFiles.removeStale(in: folder.path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == [".lock", "metrics.json"])
        #expect(FileManager.default.fileExists(atPath: victim), "a planted symlink is removed as a link")
    }

    /// Scoped to one folder: removing every file in flight in the process would pull the files
    /// from under the tests running beside this one.
    @Test func removeAllDeletesFilesInFlight() throws {
        let folder = TemporaryFolder(), other = TemporaryFolder()
        let staged = try StagedFile(Data("half".utf8), beside: URL(fileURLWithPath: folder.path + "/a.png"))
        let elsewhere = try StagedFile(Data("other".utf8), beside: URL(fileURLWithPath: other.path + "/b.png"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 1)
        TemporaryFiles.removeAll(in: folder.path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: other.path).count == 1, "another folder's file in flight")
        try elsewhere.install()
        #expect(FileManager.default.contents(atPath: other.path + "/b.png") == Data("other".utf8))
        _ = staged
    }
}

@Suite struct ReadableFileTests {
    @Test func readsAndMapsRegularFiles() throws {
        let folder = TemporaryFolder()
        let path = folder.write("data", Array(0..<200))
        #expect(try ReadableFile.contents(of: path) == Data(Array(0..<200)))
        #expect(try ReadableFile.mapped(path) == Data(Array(0..<200)))
        #expect(try ReadableFile.mapped(folder.write("empty", [])).isEmpty)
    }

    @Test func anythingButAFileIsNamedInWords() throws {
        let folder = TemporaryFolder()
        let fifo = folder.path + "/pipe"
        #expect(mkfifo(fifo, 0o644) == 0)
        func problem(_ path: String) -> String? {
            do { _ = try ReadableFile.contents(of: path); return nil } catch let e as FileError { return e.problem } catch { return "\(error)" }
        }
        #expect(problem(fifo) == "is a named pipe (FIFO), not a file")
        #expect(problem(folder.path) == "is a folder, not a file")
        #expect(problem("/dev/zero") == "is a character device, not a file")
        #expect(problem(folder.path + "/nothing") == "does not exist")
    }
}

@Suite struct FolderLockTests {
    @Test func secondHolderIsToldWhoHasIt() throws {
        let folder = TemporaryFolder()
        let path = folder.path + "/lenet"
        let first = try FolderLock(path)
        do {
            _ = try FolderLock(path)
            Issue.record("two locks on one folder")
        } catch let held as FolderLock.Held {
            #expect(held.holder == getpid())
            #expect(held.description.contains("is being written by another run (process \(getpid()))"))
        }
        _ = first
    }

    @Test func releasedWhenTheHolderGoes() throws {
        let folder = TemporaryFolder()
        do { _ = try FolderLock(folder.path) }
        _ = try FolderLock(folder.path)
    }

    @Test func somethingInTheWayIsNamed() throws {
        let folder = TemporaryFolder()
        let file = folder.write("output", [1])
        #expect(throws: FileError(path: file, problem: "is a file, not a folder")) { try FolderLock(file + "/lenet") }
    }
}
