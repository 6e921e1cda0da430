import Testing
import Tensors
@testable import Datasets

@Suite struct DataLoaderTests {
    @Test func bilinearMatchesPyTorchHalfPixelCentres() {
        // torch.nn.functional.interpolate([[0, 1], [2, 3]], size=4, mode="bilinear", align_corners=False)
        let source: [Float] = [0, 1, 2, 3]
        var out = [Float](repeating: 0, count: 16)
        Resize.bilinear(source, height: 2, width: 2, into: &out, height: 4, width: 4)
        #expect(out == [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3])
        var same = [Float](repeating: 0, count: 4)
        Resize.bilinear(source, height: 2, width: 2, into: &same, height: 2, width: 2)
        #expect(same == source)
    }

    func miniature(_ count: Int) -> LabeledImages {
        LabeledImages(count: count, height: 3, width: 3, pixels: (0..<(count * 9)).map { UInt8($0 % 256) },
                      labels: (0..<count).map { UInt8($0 % 10) })
    }

    @Test func batchesCoverEveryExampleOnceInASeededOrder() {
        let loader = DataLoader(miniature(23), batchSize: 5, shuffle: true, seed: 7)
        let batches = Array(loader.batches(epoch: 1))
        #expect(batches.map(\.labels.count) == [5, 5, 5, 5, 3])
        #expect(batches[0].images.shape == [5, 1, 3, 3])
        let order = loader.order(epoch: 1)
        #expect(order.sorted() == Array(0..<23) && order != Array(0..<23))
        #expect(loader.order(epoch: 1) == order, "same seed and epoch, same order")
        #expect(loader.order(epoch: 2) != order, "each epoch reshuffles")
        // The first image of the first batch is example order[0], scaled to [0, 1].
        let first = order[0]
        #expect(batches[0].images.scalars.prefix(9).elementsEqual((0..<9).map { Float((first * 9 + $0) % 256) / 255 }))
        #expect(batches[0].labels[0] == Int32(first % 10))
    }

    @Test func resizedBatchesAreUpsampled() {
        let loader = DataLoader(miniature(4), batchSize: 4, shuffle: false, resize: 7)
        let batch = Array(loader.batches(epoch: 0))[0]
        #expect(batch.images.shape == [4, 1, 7, 7])
        // Corners of an upsampled image keep the corner values.
        #expect(batch.images[1, 0, 0, 0] == Float(9) / 255 && batch.images[1, 0, 6, 6] == Float(17) / 255)
    }

    @Test func subsetKeepsTheFirstExamples() {
        let data = miniature(10).prefix(4)
        #expect(data.count == 4 && data.labels == [0, 1, 2, 3] && data.pixels.count == 36)
        #expect(miniature(3).prefix(10).count == 3)
    }
}
