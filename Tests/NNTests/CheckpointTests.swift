import Foundation
import NN
import Tensors
import Testing
import TestSupport

@Suite struct CheckpointTests {
    static func smallNet() -> Sequential {
        Sequential {
            Conv2d(1, 3, kernelSize: 3, padding: 1); BatchNorm2d(3); ReLU()
            Sequential { Conv2d(3, 2, kernelSize: 1); MaxPool2d(kernelSize: 2) }
            Flatten(); Linear(32, 5); BatchNorm1d(5)
        }
    }

    @Test func namesFollowPyTorchsStateDict() throws {
        let data = try Checkpoint.encode(Self.smallNet())
        let names = try SafeTensors.decode(data, file: "x").map(\.name)
        #expect(names == [
            "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
            "3.0.weight", "3.0.bias", "5.weight", "5.bias", "6.weight", "6.bias", "6.running_mean", "6.running_var",
            "6.num_batches_tracked",
        ])
    }

    /// Weights from a run that diverged are refused, naming the tensor; the network is untouched.
    @Test func nonFiniteWeightsAreRefusedByName() throws {
        let saved = Self.smallNet()
        saved.parametersByPath().first { $0.path == "5.weight" }!.tensor.data[7] = .infinity
        let data = try Checkpoint.encode(saved)
        let other = Self.smallNet()
        let before = other.parameters.map(\.scalars)
        #expect(throws: Checkpoint.Mismatch(file: "x.safetensors", problem: "tensor '5.weight' holds a NaN or infinite value (at index 7): "
            + "these weights come from a run that diverged and cannot be used")) {
            try Checkpoint.load(data, file: "x.safetensors", into: other)
        }
        #expect(other.parameters.map(\.scalars) == before)
    }

    /// A file is mapped and its header checked first: a large file that is not a checkpoint is
    /// refused without being read; a real one loads from the mapping, metadata and all.
    @Test func filesAreMappedAndTheirHeaderReadFirst() throws {
        let folder = TemporaryFolder()
        let big = folder.path + "/big.safetensors"
        #expect(FileManager.default.createFile(atPath: big, contents: Data("not a checkpoint".utf8)))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        try handle.truncate(atOffset: 1 << 30)  // 1 GB, sparse: costs no disk
        try handle.close()
        #expect(throws: SafeTensors.Failure.self) { try Checkpoint.load(path: big, into: Self.smallNet()) }

        let net = Self.smallNet()
        let path = folder.write("net.safetensors", [UInt8](try Checkpoint.encode(net, metadata: ["lesson": "x"])))
        let copy = Random.$generator.withValue(RandomGenerator(seed: 9)) { Self.smallNet() }
        #expect(try Checkpoint.load(path: path, into: copy) == ["lesson": "x"])
        #expect(copy.parameters.map(\.scalars) == net.parameters.map(\.scalars))
    }

    @Test func roundTripGivesIdenticalOutputs() throws {
        let x = Tensor.uniform([4, 1, 8, 8], 0, 1, using: RandomGenerator(seed: 1))
        let trained = Random.$generator.withValue(RandomGenerator(seed: 2)) { Self.smallNet() }
        _ = try trained(x)  // moves the running statistics and counters
        trained.eval()
        let expected = try trained(x).scalars

        let copy = Random.$generator.withValue(RandomGenerator(seed: 3)) { Self.smallNet() }
        try Checkpoint.load(try Checkpoint.encode(trained), file: "net.safetensors", into: copy)
        copy.eval()
        #expect(try copy(x).scalars == expected)
        #expect((copy.layers[1] as! BatchNorm).numBatchesTracked == 1)
    }

    @Test func mismatchNamesTheTensorAndBothShapes() throws {
        let data = try Checkpoint.encode(Sequential { Conv2d(1, 3, kernelSize: 3); Flatten(); Linear(12, 5) })
        let other = Sequential { Conv2d(1, 4, kernelSize: 3); Flatten(); Linear(16, 5) }
        #expect(throws: Checkpoint.Mismatch(file: "a.safetensors",
                                            problem: "tensor '0.weight' has shape [3, 1, 3, 3] in the file, the network's is [4, 1, 3, 3]")) {
            try Checkpoint.load(data, file: "a.safetensors", into: other)
        }
        let untouched = other.layers[0] as! Conv2d
        let before = untouched.weight.scalars
        _ = try? Checkpoint.load(data, file: "a.safetensors", into: other)
        #expect(untouched.weight.scalars == before, "nothing changes when something does not fit")

        let bigger = Sequential { Conv2d(1, 3, kernelSize: 3); Flatten(); Linear(12, 5); Linear(5, 2) }
        #expect(throws: Checkpoint.Mismatch.self) { try Checkpoint.load(data, file: "a", into: bigger) }
        let smaller = Sequential { Conv2d(1, 3, kernelSize: 3) }
        do {
            try Checkpoint.load(data, file: "a", into: smaller)
            Issue.record("accepted extra tensors")
        } catch {
            #expect("\(error)".contains("has a tensor '2.weight' [5, 12] that the network does not have"))
        }
    }

    /// A valid file, and its header as text, for the hostile cases.
    static func sample() throws -> (data: Data, header: String) {
        let data = try SafeTensors.encode([
            .init(name: "a", floats: [1, 2, 3, 4, 5, 6], shape: [2, 3]), .init(name: "b", floats: [7], shape: []),
        ])
        let length = Int(data[0]) | Int(data[1]) << 8
        return (data, String(decoding: data[8..<(8 + length)], as: UTF8.self))
    }

    /// A file with `header` (padded) and `payload` bytes of data.
    static func file(header: String, payload: Int) -> Data {
        var json = Data(header.utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var data = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        return data + json + Data(repeating: 0, count: payload)
    }

    static let hostile: [(name: String, data: Data, problem: String)] = [
        ("empty", Data(), "too short for a safetensors header"),
        ("truncated", try! sample().data.dropLast(5), "the file is truncated or corrupt"),
        ("huge header length", Data([255, 255, 255, 255, 0, 0, 0, 0]) + Data("{}".utf8), "more than the 100 MB a safetensors header may have: not a checkpoint"),
        ("not JSON", file(header: "hello, world", payload: 0), "header is not a JSON object"),
        ("JSON array", file(header: "[1, 2]", payload: 0), "header is not a JSON object"),
        ("unknown dtype", file(header: #"{"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}"#, payload: 4),
         "tensor 'a' has dtype F16"),
        ("out of range", file(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 800]}}"#, payload: 8),
         "tensor 'a' has data offsets outside the 8 bytes of data"),
        ("overlap", file(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#, payload: 12),
         "overlaps the tensor before it"),
        ("gap", file(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#, payload: 8),
         "there is a gap of 4 bytes before tensor 'a'"),
        ("wrong size", file(header: #"{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, payload: 8),
         "tensor 'a' of shape [3] needs 12 bytes, its offsets give 8"),
        ("fractional shape", file(header: #"{"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}"#, payload: 4),
         "tensor 'a' has an invalid shape"),
        ("enormous shape", file(header: #"{"a": {"dtype": "F32", "shape": [100000000000, 100000000000], "data_offsets": [0, 4]}}"#, payload: 4),
         "is larger than the file"),
    ]

    @Test(arguments: hostile)
    func hostileFilesGetAClearError(_ t: (name: String, data: Data, problem: String)) {
        do {
            _ = try SafeTensors.decode(t.data, file: "bad.safetensors")
            Issue.record("\(t.name): accepted")
        } catch let error as SafeTensors.Failure {
            #expect(error.file == "bad.safetensors")
            #expect(error.problem.contains(t.problem), "\(t.name): \(error.problem)")
        } catch {
            Issue.record("\(t.name): \(error)")
        }
    }

    @Test func integersInTheHeaderMayBeZeroOrOne() throws {
        let data = Self.file(header: #"{"a": {"dtype": "F32", "shape": [1, 0], "data_offsets": [0, 0]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, payload: 4)
        #expect(try SafeTensors.decode(data, file: "x").map(\.shape) == [[1, 0], [1]])
    }

    /// Thousands of mutated files: each is read or refused with a `SafeTensors.Failure`, never a
    /// crash. (A longer run with libFuzzer: scripts/fuzz.)
    @Test func mutatedFilesNeverCrash() throws {
        let good = try Checkpoint.encode(Self.smallNet())
        let g = RandomGenerator(seed: 77)
        var accepted = 0
        for round in 0..<4000 {
            var bytes = [UInt8](good)
            switch round % 4 {
            case 0: for _ in 0..<(1 + g.int(below: 8)) { bytes[g.int(below: bytes.count)] = UInt8(g.int(below: 256)) }
            case 1: bytes = Array(bytes.prefix(g.int(below: bytes.count)))
            case 2: bytes.insert(contentsOf: (0..<g.int(below: 16)).map { _ in UInt8(g.int(below: 256)) }, at: g.int(below: bytes.count))
            default: bytes = (0..<g.int(below: 300)).map { _ in UInt8(g.int(below: 256)) }
            }
            do {
                _ = try SafeTensors.decode(Data(bytes), file: "fuzz")
                accepted += 1
            } catch is SafeTensors.Failure {
            }
        }
        #expect(accepted < 4000)
    }
}
