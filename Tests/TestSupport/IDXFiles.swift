import Foundation

/// The bytes of an IDX file of unsigned bytes with the given dimensions.
public func idxFile(_ dims: [Int], _ values: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, 0x08, UInt8(dims.count)]
    for d in dims { bytes += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
    return bytes + values
}

/// A fresh temporary folder, removed when the value is released.
public final class TemporaryFolder: Sendable {
    public let path: String

    public init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("convbook-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    public func write(_ name: String, _ bytes: [UInt8]) -> String {
        let file = (path as NSString).appendingPathComponent(name)
        precondition(FileManager.default.createFile(atPath: file, contents: Data(bytes)), "cannot write \(file)")
        return file
    }

    /// A miniature Fashion-MNIST (plain IDX files) of `train` and `test` random images of
    /// `side`×`side` pixels, labels cycling through the classes.
    public func writeFashionMNIST(train: Int, test: Int, side: Int = 28, seed: UInt64 = 1) {
        var state = seed
        func byte() -> UInt8 { state = state &* 6364136223846793005 &+ 1442695040888963407; return UInt8(state >> 56) }
        for (split, n) in [("train", train), ("t10k", test)] {
            write("\(split)-images-idx3-ubyte", idxFile([n, side, side], (0..<(n * side * side)).map { _ in byte() }))
            write("\(split)-labels-idx1-ubyte", idxFile([n], (0..<n).map { UInt8($0 % 10) }))
        }
    }
}
