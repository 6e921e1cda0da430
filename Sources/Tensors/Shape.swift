/// The dimensions of a tensor, outermost first; images are NCHW (batch, channels, height, width).
///
///     let s: Shape = [1, 6, 28, 28]
///     print(s)          // [1, 6, 28, 28], as PyTorch prints torch.Size
///     s.count           // 4704 elements
public struct Shape: Hashable, Sendable, ExpressibleByArrayLiteral, CustomStringConvertible {
    public var dims: [Int]

    public init(_ dims: [Int]) {
        precondition(dims.allSatisfy { $0 >= 0 }, "negative dimension in shape \(dims)")
        self.dims = dims
    }

    public init(arrayLiteral dims: Int...) { self.init(dims) }

    /// Number of dimensions.
    public var rank: Int { dims.count }

    /// Number of elements.
    public var count: Int { dims.reduce(1, *) }

    public subscript(axis: Int) -> Int {
        get { dims[axis < 0 ? axis + dims.count : axis] }
        set { dims[axis < 0 ? axis + dims.count : axis] = newValue }
    }

    public var description: String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }
}
