import Files
import Foundation

/// An array in the IDX format of MNIST and Fashion-MNIST, plain or gzip'd.
///
/// Layout: two zero bytes, a type byte (0x08 = unsigned bytes, the only type these data sets
/// use), the number of dimensions, each dimension as a big-endian 32-bit integer, then the
/// values, row-major.
public struct IDXArray: Equatable {
    public var dimensions: [Int]
    public var values: [UInt8]

    /// Reads `path`; any defect is a `DatasetError` naming the file.
    public init(contentsOf path: String) throws {
        let data: Data
        do {
            data = try ReadableFile.contents(of: path)
        } catch let error as FileError {
            throw DatasetError(file: path, problem: error.problem)
        }
        try self.init(data: data, file: path)
    }

    public init(data: Data, file: String) throws {
        let bytes = Gzip.isCompressed(data) ? try Gzip.decompress(data, file: file) : [UInt8](data)
        try self.init(bytes: bytes, file: file)
    }

    public init(bytes: [UInt8], file: String) throws {
        func fail(_ problem: String) -> DatasetError {
            DatasetError(file: file, problem: problem, hint: "This is not an IDX file as Fashion-MNIST ships it; download or install it again.")
        }
        guard bytes.count >= 4 else { throw fail("is \(bytes.count) bytes long, too short for an IDX header") }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw fail(String(format: "has magic number 0x%02X%02X%02X%02X, not an IDX file (expected 0x0000 then type and rank)",
                              bytes[0], bytes[1], bytes[2], bytes[3]))
        }
        guard bytes[2] == 0x08 else {
            throw fail(String(format: "holds values of type 0x%02X; only unsigned bytes (0x08) are supported", bytes[2]))
        }
        let rank = Int(bytes[3])
        guard (1...4).contains(rank) else { throw fail("has \(rank) dimensions; expected 1 to 4") }
        let headerLength = 4 + 4 * rank
        guard bytes.count >= headerLength else { throw fail("is truncated inside its header") }
        var dims: [Int] = []
        for d in 0..<rank {
            let o = 4 + 4 * d
            dims.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
        }
        // Every dimension is below 2^32, so four of them multiply without overflow only if we
        // check as we go.
        var expected = 1
        for d in dims {
            let (product, overflow) = expected.multipliedReportingOverflow(by: d)
            guard !overflow, product <= bytes.count else {
                throw fail("declares dimensions \(dims), more values than its \(bytes.count - headerLength) bytes of data")
            }
            expected = product
        }
        let available = bytes.count - headerLength
        guard available >= expected else {
            throw fail("is truncated: dimensions \(dims) need \(expected) bytes of data, found \(available)")
        }
        guard available == expected else {
            throw fail("has \(available - expected) bytes beyond the \(expected) its dimensions \(dims) declare")
        }
        dimensions = dims
        values = Array(bytes[headerLength...])
    }
}
