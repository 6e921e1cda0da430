/// The sliding window of a convolution or pooling layer: a square `size`×`size` window moved by
/// `stride`, over an input padded by `padding` on every side.
///
/// Output size along one axis: `(n + 2·padding − size) / stride + 1` (rounded down).
package struct Window: Hashable, Sendable {
    package var size: Int
    package var stride: Int
    package var padding: Int

    package init(size: Int, stride: Int = 1, padding: Int = 0) {
        precondition(size >= 1 && stride >= 1 && padding >= 0,
                     "window size \(size), stride \(stride), padding \(padding)")
        self.size = size
        self.stride = stride
        self.padding = padding
    }

    /// 2×2 with stride 2 and no padding: the windows tile the input without overlapping and
    /// halve it (VGG's and LeNet's pools), which the pooling kernels run in vectors of their own.
    package var isHalving2x2: Bool { size == 2 && stride == 2 && padding == 0 }

    /// Output length along an axis of input length `n`; zero or less when the window does not fit.
    package func outputSize(_ n: Int) -> Int {
        let span = n + 2 * padding - size
        return span < 0 ? 0 : span / stride + 1
    }
}

/// The four sizes of an NCHW batch, read from a shape.
public struct ImageBatch: Hashable, Sendable {
    public var n: Int, c: Int, h: Int, w: Int
    public init(n: Int, c: Int, h: Int, w: Int) { (self.n, self.c, self.h, self.w) = (n, c, h, w) }
    public init(_ shape: Shape) {
        precondition(shape.rank == 4, "expected an NCHW shape, got \(shape)")
        self.init(n: shape[0], c: shape[1], h: shape[2], w: shape[3])
    }
    public var plane: Int { h * w }
    public var image: Int { c * h * w }
    public var shape: Shape { [n, c, h, w] }
}
