import Testing
@testable import Tensors

/// Every operation on a shape-only tensor gives the shape it gives on real numbers, and throws
/// the same shape errors, without computing or allocating anything.
@Suite struct ShapeOnlyTests {
    func check(_ name: String, _ inputs: [Shape], _ op: ([Tensor]) throws -> Tensor) {
        let real = inputs.enumerated().map { Tensor.uniform($0.element, -1, 1, using: RandomGenerator(seed: UInt64($0.offset))) }
        let shapes = inputs.map { Tensor(shapeOnly: $0) }
        let expected = Result { try op(real).shape }
        let got = Result { try op(shapes) }
        switch (expected, got) {
        case let (.success(shape), .success(tensor)):
            #expect(tensor.isShapeOnly && tensor.shape == shape, "\(name) on \(inputs)")
        case let (.failure(a), .failure(b)):
            #expect("\(a)" == "\(b)", "\(name) on \(inputs)")
        default:
            Issue.record("\(name) on \(inputs): \(expected) with numbers, \(got) with shapes only")
        }
    }

    @Test func everyOperationAgrees() {
        let w = Tensor.uniform([4, 3, 3, 3], -1, 1, using: RandomGenerator(seed: 9))
        for x in [[2, 3, 9, 7], [1, 3, 2, 2], [2, 5, 8, 8]] as [Shape] {
            check("conv2d", [x]) { try conv2d($0[0], weight: w, stride: 2, padding: 1) }
            check("maxPool2d", [x]) { try maxPool2d($0[0], kernelSize: 3, stride: 2, padding: 1) }
            check("avgPool2d", [x]) { try avgPool2d($0[0], kernelSize: 2) }
            check("adaptiveAvgPool2d", [x]) { try adaptiveAvgPool2d($0[0], outputSize: (1, 1)) }
            check("relu", [x]) { relu($0[0]) }
            check("sigmoid", [x]) { sigmoid($0[0]) }
            check("dropout", [x]) { try dropout($0[0], p: 0.5, training: true) }
            check("flatten", [x]) { try $0[0].flattened() }
            check("product", [x, [1, 2, 3]]) { try $0[0] * $0[1] }
            check("reshape", [x]) { try $0[0].reshaped([-1, 7]) }
            check("cat", [x, x]) { try cat($0) }
            check("add", [x, x]) { try $0[0] + $0[1] }
            check("product", [x, x]) { try $0[0] * $0[1] }
            check("sum", [x]) { $0[0].sum() }
            check("batchNorm", [x]) { xs in
                let c = 3
                let stats = RunningStatistics(mean: Tensor(zeros: [c]), variance: Tensor(repeating: 1, shape: [c]), momentum: 0.1)
                return try batchNorm(xs[0], gamma: Tensor(repeating: 1, shape: [c]), beta: Tensor(zeros: [c]), running: stats, training: true)
            }
        }
        let dense = Tensor.uniform([5, 6], -1, 1, using: RandomGenerator(seed: 3))
        for x in [[4, 6], [4, 5], [1, 6]] as [Shape] {
            check("linear", [x]) { try linear($0[0], weight: dense, bias: Tensor(zeros: [5])) }
            check("matmul", [x]) { try matmul($0[0], dense.flattened().reshaped([6, 5])) }
            check("argmax", [x]) { try Tensor(shapeOnly: [$0[0].argmax().count]) }
            check("crossEntropy", [x]) { try crossEntropy($0[0], labels: [0, 1, 2, 3]) }
        }
    }

    /// Batch norm's running statistics and dropout's random numbers are not touched.
    @Test func nothingIsComputedOrDrawn() throws {
        let generator = RandomGenerator(seed: 1)
        let before = generator.state
        _ = try dropout(Tensor(shapeOnly: [8, 100]), p: 0.5, training: true, using: generator)
        #expect(generator.state == before)
        let mean = Tensor(zeros: [2]), variance = Tensor(repeating: 1, shape: [2])
        _ = try batchNorm(Tensor(shapeOnly: [4, 2]), gamma: Tensor(repeating: 1, shape: [2]), beta: Tensor(zeros: [2]),
                          running: RunningStatistics(mean: mean, variance: variance, momentum: 0.5), training: true)
        #expect(mean.scalars == [0, 0] && variance.scalars == [1, 1])
    }

    @Test func bytesAreCountedForEveryOutput() {
        let (_, bytes) = ShapeOnly.countBytes {
            let x = Tensor(shapeOnly: [2, 3, 4, 4])  // 96 floats
            _ = relu(x)                              // 96
            _ = try? maxPool2d(x, kernelSize: 2)     // 24 and 24 winners' indices
        }
        #expect(bytes == ShapeOnly.Bytes(all: (96 + 96 + 24 + 24) * 4, largest: 96 * 4))
    }
}
