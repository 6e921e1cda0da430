import Files
import Foundation
import Tensors

/// A network's weights and statistics in a safetensors file, named as PyTorch's `state_dict`
/// for the same `nn.Sequential` (`0.weight`, `3.bias`, `1.0.bn1.running_mean`, ...), so either
/// side can load what the other saved:
///
///     let bytes = try Checkpoint.encode(net)      // write it to lenet.safetensors; then in PyTorch:
///     // net.load_state_dict(safetensors.torch.load_file("lenet.safetensors"))
///     try Checkpoint.load(bytes, file: "lenet.safetensors", into: net)
public enum Checkpoint {
    public struct Mismatch: Error, CustomStringConvertible, Equatable {
        public var file: String
        public var problem: String
        public init(file: String, problem: String) { (self.file, self.problem) = (file, problem) }
        public var description: String { "\(file): \(problem)" }
    }

    /// Every named piece of state in PyTorch's order: a layer's parameters, its buffers, then its
    /// sub-layers'. Batch norm's `num_batches_tracked` is an integer, as in PyTorch.
    static func entries(_ net: any Layer, prefix: String = "") -> [SafeTensors.Entry] {
        func tensor(_ name: String, _ t: Tensor) -> SafeTensors.Entry {
            SafeTensors.Entry(name: prefix + name, floats: t.scalars, shape: t.shape.dims)
        }
        var out = net.namedParameters.map { tensor($0.name, $0.tensor) } + net.namedBuffers.map { tensor($0.name, $0.tensor) }
        if let bn = net as? BatchNorm {
            let count = Int64(bn.numBatchesTracked)
            out.append(SafeTensors.Entry(name: prefix + "num_batches_tracked", dtype: .i64, shape: [],
                                         bytes: withUnsafeBytes(of: count.littleEndian) { Data($0) }))
        }
        return out + net.namedChildren.flatMap { entries($0.layer, prefix: prefix + $0.name + ".") }
    }

    /// The safetensors bytes of `net`'s state.
    public static func encode(_ net: any Layer, metadata: [String: String] = [:]) throws -> Data {
        try SafeTensors.encode(entries(net), metadata: metadata)
    }

    /// Loads the checkpoint at `path` into `net` (see `load(_:file:into:)`) and returns the file's
    /// metadata. The file is mapped, not read: a file that is not a checkpoint is refused after
    /// reading its first bytes, whatever its size.
    ///
    /// With `lesson`, a file whose metadata names another lesson (as our saves and
    /// `scripts/train_pytorch.py` record it) is refused before its tensors are looked at.
    @discardableResult
    public static func load(path: String, into net: any Layer, lesson: String? = nil) throws -> [String: String] {
        let contents = try SafeTensors.read(try ReadableFile.mapped(path), file: path)
        if let lesson { try check(contents.metadata, file: path, isOf: lesson) }
        try load(contents.entries, file: path, into: net)
        return contents.metadata
    }

    /// Refuses a checkpoint whose metadata names a lesson other than `lesson`.
    public static func check(_ metadata: [String: String], file: String, isOf lesson: String) throws {
        if let saved = metadata["lesson"], saved != lesson {
            throw Mismatch(file: file, problem: "holds the weights of lesson '\(saved)' (its metadata says so), not of '\(lesson)': "
                + "view it with `lesson \(saved) --checkpoint \(file)`")
        }
    }

    /// The metadata of the checkpoint at `path` (only its header is read).
    public static func metadata(path: String) throws -> [String: String] {
        try SafeTensors.read(try ReadableFile.mapped(path), file: path).metadata
    }

    /// Copies the file's tensors into `net`. Every tensor the network has must be in the file
    /// with the same shape, and the file may hold nothing else; the first that does not fit is
    /// named, with both shapes, and so is the first that holds a NaN or an infinity. Nothing is
    /// changed unless everything fits.
    public static func load(_ data: Data, file: String, into net: any Layer) throws {
        try load(try SafeTensors.decode(data, file: file), file: file, into: net)
    }

    static func load(_ stored: [SafeTensors.Entry], file: String, into net: any Layer) throws {
        let stored = stored.map { entry in
            var entry = entry
            entry.name = ourName(entry.name, in: net)
            return entry
        }
        var byName: [String: SafeTensors.Entry] = [:]
        for entry in stored { byName[entry.name] = entry }
        let expected = entries(net)
        for want in expected {
            guard let have = byName[want.name] else {
                throw Mismatch(file: file, problem: "has no tensor '\(want.name)' (the network expects shape \(Shape(want.shape))). "
                    + "Was it saved from a different network?")
            }
            guard have.shape == want.shape else {
                throw Mismatch(file: file, problem: "tensor '\(want.name)' has shape \(Shape(have.shape)) in the file, "
                    + "the network's is \(Shape(want.shape))")
            }
            guard have.dtype == want.dtype else {
                throw Mismatch(file: file, problem: "tensor '\(want.name)' is \(have.dtype.rawValue) in the file, the network's is \(want.dtype.rawValue)")
            }
        }
        let names = Set(expected.map(\.name))
        if let extra = stored.first(where: { !names.contains($0.name) }) {
            throw Mismatch(file: file, problem: "has a tensor '\(extra.name)' \(Shape(extra.shape)) that the network does not have")
        }
        for entry in stored {
            if let index = entry.firstNonFinite {
                throw Mismatch(file: file, problem: "tensor '\(entry.name)' holds a NaN or infinite value (at index \(index)): "
                    + "these weights come from a run that diverged and cannot be used")
            }
        }
        apply(byName, to: net)
    }

    /// A stored tensor's name with every sub-layer called by our name where the file uses another
    /// (`childNameAliases`): `3.0.p2_1.weight` → `3.0.b2_1.weight`.
    static func ourName(_ stored: String, in net: any Layer) -> String {
        var layer: (any Layer)? = net
        return stored.split(separator: ".", omittingEmptySubsequences: false).map { part -> String in
            guard let current = layer else { return String(part) }
            let name = current.namedChildren.contains { $0.name == part } ? String(part)
                : current.childNameAliases.first { $0.value == part }?.key ?? String(part)
            layer = current.namedChildren.first { $0.name == name }?.layer
            return name
        }.joined(separator: ".")
    }

    static func apply(_ byName: [String: SafeTensors.Entry], to net: any Layer, prefix: String = "") {
        for (name, t) in net.namedParameters + net.namedBuffers where t.count > 0 {
            byName[prefix + name]!.bytes.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(t.data).copyMemory(from: raw.baseAddress!, byteCount: t.count * MemoryLayout<Float>.stride)
            }
        }
        if let bn = net as? BatchNorm, let count = byName[prefix + "num_batches_tracked"]?.int64s.first {
            bn.numBatchesTracked = Int(count)
        }
        for child in net.namedChildren { apply(byName, to: child.layer, prefix: prefix + child.name + ".") }
    }
}
