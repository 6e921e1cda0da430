/// Examples in batches, as a data loader gives them and a trainer takes them: defined here, below
/// both, so that neither has to know the other.
/// A batch of images (N, C, H, W) with their N class labels.
public struct Batch {
    public var images: Tensor
    public var labels: [Int32]
    public init(images: Tensor, labels: [Int32]) { (self.images, self.labels) = (images, labels) }
}

/// Where batches come from: a data loader.
public protocol BatchSource {
    /// Number of examples in one pass.
    var exampleCount: Int { get }
    /// Number of batches in one pass.
    var batchCount: Int { get }
    /// One pass over the data; `epoch` picks the shuffle, so every epoch is reproducible.
    func batches(epoch: Int) -> AnySequence<Batch>
    /// The same pass from batch `first` on (0-based), for a run that continues where it stopped.
    func batches(epoch: Int, from first: Int) -> AnySequence<Batch>
}

extension BatchSource {
    public func batches(epoch: Int, from first: Int) -> AnySequence<Batch> {
        AnySequence(batches(epoch: epoch).dropFirst(first))
    }
}
