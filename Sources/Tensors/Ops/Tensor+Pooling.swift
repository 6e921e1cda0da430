extension Tensor {
    fileprivate func poolWindow(_ op: String, kernelSize: Int, stride: Int?, padding: Int) throws -> (ImageBatch, Window, Shape) {
        let input = try requireImages(op)
        let (window, outShape) = try poolingWindow(op, input, kernelSize: kernelSize, stride: stride, padding: padding)
        return (input, window, outShape)
    }
}

/// Checks a pool's window over `input`: the window, and the output's shape.
func poolingWindow(_ op: String, _ input: ImageBatch, kernelSize: Int, stride: Int?, padding: Int) throws -> (Window, Shape) {
    guard kernelSize >= 1, (stride ?? 1) >= 1, padding >= 0 else {
        throw ShapeError("\(op): kernel size \(kernelSize), stride \(stride ?? kernelSize), padding \(padding) must be positive")
    }
    guard padding * 2 <= kernelSize else {
        throw ShapeError("\(op): padding \(padding) must be at most half the kernel size \(kernelSize)")
    }
    let window = Window(size: kernelSize, stride: stride ?? kernelSize, padding: padding)
    let (oh, ow) = (window.outputSize(input.h), window.outputSize(input.w))
    guard oh > 0 && ow > 0 else {
        throw ShapeError("\(op): a \(kernelSize)x\(kernelSize) window with padding \(padding) does not fit input \(input.shape)")
    }
    return (window, [input.n, input.c, oh, ow])
}

/// Maximum over each `kernelSize`×`kernelSize` window, per channel. Stride defaults to the
/// kernel size, as in PyTorch. Output (N, C, OH, OW), OH = (H + 2·padding − K) / stride + 1.
///
/// `thenReLU` gives relu(maxPool2d(x)), which is also maxPool2d(relu(x)): the same numbers and
/// gradients as a ReLU before the pool (wherever a window holds a number; NaN never wins), with
/// the ReLU's passes over the pool's output, not over the larger x (`Sequential` runs VGG's and
/// AlexNet's convolution, ReLU, max pool this way).
public func maxPool2d(_ x: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0,
                      thenReLU: Bool = false) throws -> Tensor {
    let (input, window, outShape) = try x.poolWindow("max_pool2d", kernelSize: kernelSize, stride: stride, padding: padding)
    if let shapeOnly = Tensor.shapeOnlyResult(outShape, of: x) {
        _ = Tensor(shapeOnly: outShape)  // the winners' indices, kept for the backward pass
        return shapeOnly
    }
    let y = Tensor(uninitialized: outShape)
    let winners = ArgmaxBuffer(count: outShape.count)
    Kernels.maxPoolForward(x.data, input, window: window, y.data, argmax: winners.pointer, thenReLU: thenReLU)
    guard GradMode.isEnabled && x.requiresGrad else {
        OperationTrace.observer?.operation(operationName(thenReLU: thenReLU), inputs: [x], output: y)
        return y
    }
    return y.recorded(from: [x], operation: operationName(thenReLU: thenReLU)) { y in
        let dx = Tensor(uninitialized: x.shape)
        Kernels.maxPoolBackward(y.grad!.data, argmax: winners.pointer, input, window: window, dx.data)
        x.accumulateGrad(dx)
    }
}

/// Owns the winners' indices of a max-pooling forward pass until its backward pass is gone, in
/// a buffer from the pool like a tensor's: a fresh allocation of VGG's first pooling layer (100
/// MB) came from the system, zeroed page by page, at every step.
final class ArgmaxBuffer {
    let storage: Storage
    let pointer: UnsafeMutablePointer<Int32>
    init(count: Int) {
        storage = Storage(uninitializedCount: count)
        pointer = UnsafeMutableRawPointer(storage.pointer).bindMemory(to: Int32.self, capacity: count)
    }
    // Floats again for the pool's next user.
    deinit { _ = UnsafeMutableRawPointer(pointer).bindMemory(to: Float.self, capacity: storage.count) }
}

/// Mean over each window, per channel; padded cells count as zeros (PyTorch's default).
public func avgPool2d(_ x: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0) throws -> Tensor {
    let (input, window, outShape) = try x.poolWindow("avg_pool2d", kernelSize: kernelSize, stride: stride, padding: padding)
    if let shapeOnly = Tensor.shapeOnlyResult(outShape, of: x) { return shapeOnly }
    let y = Tensor(uninitialized: outShape)
    Kernels.avgPoolForward(x.data, input, window: window, y.data)
    return y.recorded(from: [x]) { y in
        let dx = Tensor(uninitialized: x.shape)
        Kernels.avgPoolBackward(y.grad!.data, input, window: window, dx.data)
        x.accumulateGrad(dx)
    }
}

/// Mean over bins chosen so the output is exactly `outputSize` (height, width), whatever the
/// input size. With (1, 1) it is global average pooling.
public func adaptiveAvgPool2d(_ x: Tensor, outputSize: (Int, Int)) throws -> Tensor {
    let input = try x.requireImages("adaptive_avg_pool2d")
    let (oh, ow) = outputSize
    guard oh >= 1, ow >= 1 else { throw ShapeError("adaptive_avg_pool2d: output size (\(oh), \(ow)) must be positive") }
    if let shapeOnly = Tensor.shapeOnlyResult([input.n, input.c, oh, ow], of: x) { return shapeOnly }
    let y = Tensor(uninitialized: [input.n, input.c, oh, ow])
    Kernels.adaptiveAvgPoolForward(x.data, input, outputHeight: oh, outputWidth: ow, y.data)
    return y.recorded(from: [x]) { y in
        let dx = Tensor(uninitialized: x.shape)
        Kernels.adaptiveAvgPoolBackward(y.grad!.data, input, outputHeight: oh, outputWidth: ow, dx.data)
        x.accumulateGrad(dx)
    }
}
