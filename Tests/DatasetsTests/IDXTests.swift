import CZlib
import Foundation
import Tensors
import Testing
import TestSupport
@testable import Datasets

/// gzip-compresses `bytes` (the test writes its own files).
func gzipped(_ bytes: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    deflateInit2_(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    defer { deflateEnd(&stream) }
    var input = bytes
    var output = [UInt8](repeating: 0, count: bytes.count + 1024)
    input.withUnsafeMutableBufferPointer { i in
        output.withUnsafeMutableBufferPointer { o in
            stream.next_in = i.baseAddress; stream.avail_in = uInt(i.count)
            stream.next_out = o.baseAddress; stream.avail_out = uInt(o.count)
            _ = deflate(&stream, Z_FINISH)
        }
    }
    return Array(output[0..<Int(stream.total_out)])
}

func idx(_ dims: [Int], _ values: [UInt8]) -> [UInt8] { idxFile(dims, values) }

@Suite struct IDXTests {
    let values: [UInt8] = (0..<24).map { UInt8($0 * 10) }

    @Test func readsPlainAndGzipped() throws {
        let folder = TemporaryFolder()
        for bytes in [idx([2, 3, 4], values), gzipped(idx([2, 3, 4], values))] {
            let array = try IDXArray(contentsOf: folder.write("a", bytes))
            #expect(array.dimensions == [2, 3, 4])
            #expect(array.values == values)
        }
    }

    @Test func readsConcatenatedGzipMembers() throws {
        let whole = idx([2, 3, 4], values)
        let bytes = gzipped(Array(whole[0..<10])) + gzipped(Array(whole[10...]))
        #expect(try IDXArray(bytes: try Gzip.decompress(Data(bytes), file: "x"), file: "x").values == values)
    }

    static let malformed: [(name: String, bytes: [UInt8], problem: String)] = {
        let good = idx([2, 3, 4], (0..<24).map { UInt8($0) })
        let zipped = gzipped(good)
        var corrupt = zipped
        for i in 12..<20 { corrupt[i] ^= 0x5A }
        return [
            ("empty", [], "is 0 bytes long, too short for an IDX header"),
            ("wrong magic", [0x50, 0x4B, 3, 4] + good.dropFirst(4), "has magic number 0x504B0304, not an IDX file (expected 0x0000 then type and rank)"),
            ("wrong type", [0, 0, 0x0D, 3] + good.dropFirst(4), "holds values of type 0x0D; only unsigned bytes (0x08) are supported"),
            ("no dimensions", [0, 0, 8, 0], "has 0 dimensions; expected 1 to 4"),
            ("cut header", Array(good[0..<9]), "is truncated inside its header"),
            ("cut data", Array(good.dropLast(5)), "is truncated: dimensions [2, 3, 4] need 24 bytes of data, found 19"),
            ("extra data", good + [1, 2], "has 2 bytes beyond the 24 its dimensions [2, 3, 4] declare"),
            ("huge dimensions", idx([65535, 65535, 65535, 65535], []), "declares dimensions [65535, 65535, 65535, 65535], more values than its 0 bytes of data"),
            ("cut gzip", Array(zipped.dropLast(12)), "is truncated: the compressed data ends early"),
            ("corrupt gzip", corrupt, "is not valid gzip data"),
            ("garbage after gzip", zipped + [0, 1, 2], "has 3 unexpected bytes after the end of the compressed data"),
        ]
    }()

    @Test(arguments: malformed)
    func malformedFilesGetAClearError(_ t: (name: String, bytes: [UInt8], problem: String)) {
        let folder = TemporaryFolder()
        let path = folder.write("bad-\(t.name.replacingOccurrences(of: " ", with: "-"))", t.bytes)
        do {
            _ = try IDXArray(contentsOf: path)
            Issue.record("\(t.name): accepted")
        } catch let error as DatasetError {
            #expect(error.file == path)
            #expect(error.problem.hasPrefix(t.problem), "\(t.name): \(error.problem)")
        } catch {
            Issue.record("\(t.name): unexpected \(error)")
        }
    }

    @Test func missingFileSaysSo() {
        #expect(throws: DatasetError(file: "/nonexistent/x", problem: "does not exist")) {
            try IDXArray(contentsOf: "/nonexistent/x")
        }
    }
}

@Suite struct FashionMNISTTests {
    /// Writes a miniature Fashion-MNIST: `train` and `test` examples of 4×4 pixels.
    static func writeMiniature(_ folder: TemporaryFolder, train: Int = 6, test: Int = 3,
                               trainLabels: [UInt8]? = nil, zip: Bool = true) {
        func put(_ name: String, _ bytes: [UInt8]) { _ = folder.write(zip ? name + ".gz" : name, zip ? gzipped(bytes) : bytes) }
        put("train-images-idx3-ubyte", idx([train, 4, 4], (0..<(train * 16)).map { UInt8($0 % 256) }))
        put("train-labels-idx1-ubyte", idx([trainLabels?.count ?? train], trainLabels ?? (0..<train).map { UInt8($0 % 10) }))
        put("t10k-images-idx3-ubyte", idx([test, 4, 4], [UInt8](repeating: 7, count: test * 16)))
        put("t10k-labels-idx1-ubyte", idx([test], (0..<test).map { UInt8($0) }))
    }

    @Test func loadsAFolderOfPlainOrGzippedFiles() throws {
        for zip in [true, false] {
            let folder = TemporaryFolder()
            Self.writeMiniature(folder, zip: zip)
            let data = try FashionMNIST.load(from: folder.path)
            #expect(data.train.count == 6 && data.test.count == 3 && data.train.height == 4)
            #expect(data.train.labels == [0, 1, 2, 3, 4, 5])
        }
    }

    @Test func missingFolderSaysHowToInstall() {
        do {
            _ = try FashionMNIST.load(from: "/nonexistent/fashion")
            Issue.record("accepted")
        } catch let error as DatasetError {
            #expect(error.description.contains("/nonexistent/fashion: Fashion-MNIST folder not found"))
            #expect(error.description.contains("apt-get install dataset-fashion-mnist"))
        } catch { Issue.record("\(error)") }
    }

    @Test func missingFileIsNamed() {
        let folder = TemporaryFolder()
        Self.writeMiniature(folder)
        try? FileManager.default.removeItem(atPath: folder.path + "/t10k-labels-idx1-ubyte.gz")
        #expect(throws: DatasetError(file: folder.path + "/t10k-labels-idx1-ubyte.gz", problem: "does not exist",
                                     hint: FashionMNIST.installHint)) {
            try FashionMNIST.load(from: folder.path)
        }
    }

    @Test func countMismatchAndBadLabelsAreRefused() {
        let folder = TemporaryFolder()
        Self.writeMiniature(folder, trainLabels: [1, 2, 3])
        #expect(throws: DatasetError(file: folder.path + "/train-labels-idx1-ubyte.gz",
                                     problem: "holds 3 labels but \(folder.path)/train-images-idx3-ubyte.gz holds 6 images")) {
            try FashionMNIST.load(from: folder.path)
        }
        let other = TemporaryFolder()
        Self.writeMiniature(other, trainLabels: [1, 2, 3, 10, 4, 5])
        #expect(throws: DatasetError(file: other.path + "/train-labels-idx1-ubyte.gz",
                                     problem: "label 10 at index 3 is not a class (expected 0 to 9)")) {
            try FashionMNIST.load(from: other.path)
        }
    }

    /// Sets that parse but cannot be used are refused when loaded, naming the file.
    @Test func emptySetsAndMismatchedSizesAreRefusedAtLoad() {
        let empty = TemporaryFolder()
        Self.writeMiniature(empty, test: 0)
        #expect(throws: DatasetError(file: empty.path + "/t10k-images-idx3-ubyte.gz", problem: "holds no images (its dimensions are [0, 4, 4])")) {
            try FashionMNIST.load(from: empty.path)
        }
        let mismatched = TemporaryFolder()
        Self.writeMiniature(mismatched, zip: false)
        mismatched.write("t10k-images-idx3-ubyte", idx([3, 5, 5], [UInt8](repeating: 1, count: 75)))
        #expect(throws: DatasetError(file: mismatched.path + "/t10k-images-idx3-ubyte",
                                     problem: "holds images of 5×5 pixels, but the training images in "
                                        + "\(mismatched.path)/train-images-idx3-ubyte are 4×4; both sets must have one size")) {
            try FashionMNIST.load(from: mismatched.path)
        }
    }

    /// A named pipe where a data file should be would block a plain read forever; a folder would
    /// give a system error in other words. Both are named for what they are.
    @Test func notAFileIsNamedForWhatItIs() throws {
        let folder = TemporaryFolder()
        Self.writeMiniature(folder, zip: false)
        try FileManager.default.removeItem(atPath: folder.path + "/train-labels-idx1-ubyte")
        #expect(mkfifo(folder.path + "/train-labels-idx1-ubyte", 0o644) == 0)
        #expect(throws: DatasetError(file: folder.path + "/train-labels-idx1-ubyte", problem: "is a named pipe (FIFO), not a file")) {
            try FashionMNIST.load(from: folder.path)
        }
        try FileManager.default.removeItem(atPath: folder.path + "/train-labels-idx1-ubyte")
        try FileManager.default.createDirectory(atPath: folder.path + "/train-labels-idx1-ubyte", withIntermediateDirectories: false)
        #expect(throws: DatasetError(file: folder.path + "/train-labels-idx1-ubyte", problem: "is a folder, not a file")) {
            try FashionMNIST.load(from: folder.path)
        }
    }

    @Test func directoryChoiceFollowsFlagThenEnvironment() {
        #expect(FashionMNIST.directory(explicit: "/a", environment: ["FASHION_MNIST": "/b"]) == "/a")
        #expect(FashionMNIST.directory(explicit: nil, environment: ["FASHION_MNIST": "/b"]) == "/b")
        #expect(FashionMNIST.directory(explicit: nil, environment: [:]) == "/usr/share/datasets/fashion-mnist")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: FashionMNIST.systemDirectory)))
    func realDataSetHasItsKnownSizes() throws {
        let data = try FashionMNIST.load(from: FashionMNIST.systemDirectory)
        #expect(data.train.count == 60_000 && data.test.count == 10_000)
        #expect(data.train.height == 28 && data.train.width == 28)
        // Every class appears 6,000 times in training, 1,000 in testing.
        for (set, each) in [(data.train, 6000), (data.test, 1000)] {
            var counts = [Int](repeating: 0, count: 10)
            for label in set.labels { counts[Int(label)] += 1 }
            #expect(counts == [Int](repeating: each, count: 10))
        }
    }
}

@Suite struct IDXFuzzTests {
    /// Thousands of mutated IDX files, plain and gzip'd: each is read or refused with a
    /// `DatasetError`, never a crash, and nothing reads past the end. (Longer: scripts/fuzz.)
    @Test func mutatedFilesNeverCrash() throws {
        let good = idx([3, 4, 5], (0..<60).map { UInt8($0) })
        let zipped = gzipped(good)
        let g = RandomGenerator(seed: 78)
        var refused = 0
        for round in 0..<6000 {
            var bytes = round % 2 == 0 ? good : zipped
            switch round / 2 % 4 {
            case 0: for _ in 0..<(1 + g.int(below: 6)) { bytes[g.int(below: bytes.count)] = UInt8(g.int(below: 256)) }
            case 1: bytes = Array(bytes.prefix(g.int(below: bytes.count)))
            case 2: bytes.insert(contentsOf: (0..<(1 + g.int(below: 12))).map { _ in UInt8(g.int(below: 256)) }, at: g.int(below: bytes.count))
            default: bytes = (0..<g.int(below: 200)).map { _ in UInt8(g.int(below: 256)) }
            }
            do {
                let array = try IDXArray(data: Data(bytes), file: "fuzz")
                #expect(array.values.count == array.dimensions.reduce(1, *))
            } catch is DatasetError {
                refused += 1
            }
        }
        #expect(refused > 3000)
    }
}
