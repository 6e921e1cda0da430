import Foundation

/// The safetensors file format (Hugging Face's, which PyTorch reads and writes):
///
///     8 bytes     N, the header's length, little-endian
///     N bytes     JSON: {"name": {"dtype": "F32", "shape": [6, 1, 5, 5], "data_offsets": [begin, end]}, ...}
///     the rest    the tensors' bytes, little-endian, at those offsets (relative to here)
///
/// The reader trusts nothing: lengths, JSON, dtypes, shapes and offsets are all checked before
/// anything is allocated, and the offsets must tile the data exactly, with no gap or overlap.
public enum SafeTensors {
    public enum DType: String, Sendable {
        case f32 = "F32", i64 = "I64"
        var size: Int { self == .f32 ? 4 : 8 }
    }

    public struct Entry: Equatable, Sendable {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        /// Raw little-endian bytes.
        public var bytes: Data

        public init(name: String, dtype: DType, shape: [Int], bytes: Data) {
            (self.name, self.dtype, self.shape, self.bytes) = (name, dtype, shape, bytes)
        }

        public init(name: String, floats: [Float], shape: [Int]) {
            self.init(name: name, dtype: .f32, shape: shape, bytes: floats.withUnsafeBytes { Data($0) })
        }

        /// The values (the bytes may sit at any alignment in a mapped file).
        public var floats: [Float] {
            precondition(dtype == .f32)
            return bytes.withUnsafeBytes { raw in
                (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            }
        }

        public var int64s: [Int64] {
            precondition(dtype == .i64)
            return bytes.withUnsafeBytes { raw in
                (0..<(raw.count / 8)).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
            }
        }

        /// The index of the first NaN or infinite value of an F32 tensor, if any.
        public var firstNonFinite: Int? {
            guard dtype == .f32 else { return nil }
            return bytes.withUnsafeBytes { raw in
                (0..<(raw.count / 4)).first { i in
                    UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) & 0x7F80_0000 == 0x7F80_0000
                }
            }
        }
    }

    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var file: String
        public var problem: String
        public var description: String { "\(file): \(problem)" }
    }

    /// The file's bytes for `entries`, in the given order, the header padded to 8 bytes.
    public static func encode(_ entries: [Entry], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        for e in entries {
            header[e.name] = ["dtype": e.dtype.rawValue, "shape": e.shape, "data_offsets": [offset, offset + e.bytes.count]]
            offset += e.bytes.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var data = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for e in entries { data.append(e.bytes) }
        return data
    }

    /// A JSON number that is exactly an integer (not 2.5, not 1e300, not "3").
    static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        return Int(exactly: number.doubleValue)
    }

    /// What a file holds: its tensors, in the order of their offsets, and its metadata.
    public struct Contents {
        public var entries: [Entry]
        public var metadata: [String: String]
    }

    /// Every tensor in the file, in the order of their offsets.
    public static func decode(_ data: Data, file: String) throws -> [Entry] {
        try read(data, file: file).entries
    }

    /// The file's tensors and metadata. Only the header is parsed and checked; each entry's bytes
    /// are a slice of `data`, so a mapped file (`ReadableFile.mapped`) is read only where used,
    /// and a file that is not safetensors costs nothing but its first bytes.
    public static func read(_ data: Data, file: String) throws -> Contents {
        func fail(_ problem: String) -> Failure { Failure(file: file, problem: problem) }
        guard data.count >= 8 else { throw fail("is \(data.count) bytes long, too short for a safetensors header") }
        let start = data.startIndex
        let headerLength = (0..<8).reduce(UInt64(0)) { $0 | UInt64(data[start + $1]) << (8 * UInt64($1)) }
        guard headerLength <= 100_000_000 else {
            throw fail("declares a header of \(headerLength) bytes, more than the 100 MB a safetensors header may have: not a checkpoint")
        }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("declares a \(headerLength)-byte header but has only \(data.count - 8) bytes after the length: truncated or not safetensors")
        }
        let headerEnd = 8 + Int(headerLength)
        let headerBytes = Data(data[(start + 8)..<(start + headerEnd)])
        guard let object = try? JSONSerialization.jsonObject(with: headerBytes), let header = object as? [String: Any] else {
            throw fail("its header is not a JSON object (not a safetensors file, or corrupt)")
        }
        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let strings = raw as? [String: String] else { throw fail("its __metadata__ is not a map of strings to strings") }
            metadata = strings
        }
        let dataSize = data.count - headerEnd
        var entries: [(entry: Entry, begin: Int, end: Int)] = []
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any] else { throw fail("entry '\(name)' is not an object") }
            guard let dtypeName = info["dtype"] as? String else { throw fail("entry '\(name)' has no dtype") }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw fail("tensor '\(name)' has dtype \(dtypeName); only F32 (and I64 for counters) are supported. "
                    + "Save the weights as float32 (e.g. model.float() in PyTorch).")
            }
            guard let shapeValues = info["shape"] as? [Any], let shape = shapeValues.map(integer) as? [Int],
                  shape.count <= 8, shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor '\(name)' has an invalid shape")
            }
            guard let offsets = info["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = integer(offsets[0]), let end = integer(offsets[1]),
                  begin >= 0, begin <= end, end <= dataSize else {
                throw fail("tensor '\(name)' has data offsets outside the \(dataSize) bytes of data: the file is truncated or corrupt")
            }
            var count = 1
            for d in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow, product <= dataSize else { throw fail("tensor '\(name)' of shape \(shape) is larger than the file") }
                count = product
            }
            guard end - begin == count * dtype.size else {
                throw fail("tensor '\(name)' of shape \(shape) needs \(count * dtype.size) bytes, its offsets give \(end - begin)")
            }
            entries.append((Entry(name: name, dtype: dtype, shape: shape, bytes: Data()), begin, end))
        }
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var position = 0
        for e in entries {
            guard e.begin == position else {
                throw fail(e.begin < position ? "tensor '\(e.entry.name)' overlaps the tensor before it"
                    : "there is a gap of \(e.begin - position) bytes before tensor '\(e.entry.name)'")
            }
            position = e.end
        }
        guard position == dataSize else { throw fail("\(dataSize - position) bytes after the last tensor belong to none") }
        return Contents(entries: entries.map { item in
            var entry = item.entry
            entry.bytes = data[(start + headerEnd + item.begin)..<(start + headerEnd + item.end)]
            return entry
        }, metadata: metadata)
    }
}
