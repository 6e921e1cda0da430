import Datasets
import Tensors
import Testing
@testable import Notebook

@Suite struct ActivationPictureTests {
    func picture(_ shape: Shape, classNames: [String]? = nil) -> ActivationPicture {
        Pictures.activation(Tensor.uniform(shape, -1, 1, using: RandomGenerator(seed: 1)), title: "t", note: "n",
                            classNames: classNames, trueClass: 3)
    }

    @Test func eachShapeGetsThePictureThatSuitsIt() throws {
        guard case .featureMaps(let grid) = picture([1, 6, 5, 5]) else { Issue.record("maps"); return }
        #expect(grid.tiles.count == 6 && grid.tiles[0].width == 5)
        // 1×1 maps: a bar per channel, the ten of NiN's last block named by class.
        guard case .channelValues(let bars) = picture([1, 10, 1, 1]) else { Issue.record("bars"); return }
        #expect(bars.labels == FashionMNIST.classNames && bars.values.count == 10)
        guard case .channelValues(let wide) = picture([1, 512, 1, 1]) else { Issue.record("512 bars"); return }
        #expect(wide.labels.isEmpty && wide.values.count == 512)
        // A classifier's scores: probabilities, with the true class marked.
        guard case .probabilities(let scores) = picture([1, 10], classNames: FashionMNIST.classNames) else {
            Issue.record("probabilities"); return
        }
        #expect(scores.trueClass == 3 && abs(scores.probabilities.reduce(0, +) - 1) < 1e-9)
        // Any other vector: a strip, not a square it never was.
        guard case .strip(let strip) = picture([1, 400]) else { Issue.record("strip"); return }
        #expect(strip.values.count == 400)
        guard case .strip = picture([1, 10]) else { Issue.record("10 values without class names"); return }
        for shape: Shape in [[1, 6, 5, 5], [1, 10, 1, 1], [1, 400]] {
            let canvas = try picture(shape).render(scale: 1)
            #expect(canvas.width > 200 && canvas.height > 100)
        }
    }
}
