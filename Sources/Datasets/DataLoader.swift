import Tensors

/// Batches of images as tensors, scaled to [0, 1] and optionally resized, in a seeded random
/// order, as the book's `load_data_fashion_mnist(batch_size, resize)` gives.
///
///     let train = DataLoader(data.train, batchSize: 256, shuffle: true, seed: 42)
///     for batch in train.batches(epoch: 1) { ... }     // [256, 1, 28, 28] and 256 labels
///
/// The last batch may be smaller. Every epoch has its own order, fixed by the seed and the
/// epoch number.
public struct DataLoader: BatchSource {
    public let data: LabeledImages
    public let batchSize: Int
    public let shuffle: Bool
    public let seed: UInt64
    /// Side of the square images the batches hold (the stored size if nil).
    public let resize: Int?

    public init(_ data: LabeledImages, batchSize: Int, shuffle: Bool, seed: UInt64 = 0, resize: Int? = nil) {
        precondition(batchSize >= 1, "batch size \(batchSize)")
        (self.data, self.batchSize, self.shuffle, self.seed, self.resize) = (data, batchSize, shuffle, seed, resize)
    }

    public var exampleCount: Int { data.count }
    public var batchCount: Int { (data.count + batchSize - 1) / batchSize }
    public var imageHeight: Int { resize ?? data.height }
    public var imageWidth: Int { resize ?? data.width }

    /// The order of the examples in `epoch`.
    public func order(epoch: Int) -> [Int] {
        var indices = Array(0..<data.count)
        if shuffle { RandomGenerator(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9).shuffle(&indices) }
        return indices
    }

    public func batches(epoch: Int) -> AnySequence<Batch> { batches(epoch: epoch, from: 0) }

    public func batches(epoch: Int, from first: Int) -> AnySequence<Batch> {
        let order = order(epoch: epoch)
        return AnySequence((min(first, batchCount)..<batchCount).lazy.map { b in
            self.batch(Array(order[(b * batchSize)..<min(order.count, (b + 1) * batchSize)]))
        })
    }

    /// The examples at `indices`, as one batch.
    public func batch(_ indices: [Int]) -> Batch {
        let (h, w, oh, ow) = (data.height, data.width, imageHeight, imageWidth)
        let images = Tensor(uninitialized: [indices.count, 1, oh, ow])
        let rows = Resize.taps(input: h, output: oh), columns = Resize.taps(input: w, output: ow)
        data.pixels.withUnsafeBufferPointer { pixels in
            Parallel.forRanges(indices.count, grain: max(1, 16384 / (oh * ow))) { range in
                let scaled = UnsafeMutablePointer<Float>.allocate(capacity: h * w)
                defer { scaled.deallocate() }
                for i in range {
                    let source = pixels.baseAddress! + indices[i] * h * w
                    let out = images.data + i * oh * ow
                    let target = (oh, ow) == (h, w) ? out : scaled
                    for p in 0..<(h * w) { target[p] = Float(source[p]) / 255 }
                    if target == scaled {
                        Resize.bilinear(scaled, height: h, width: w, into: out, rows: rows, columns: columns)
                    }
                }
            }
        }
        return Batch(images: images, labels: indices.map { Int32(data.labels[$0]) })
    }
}
