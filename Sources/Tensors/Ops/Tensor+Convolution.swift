extension Tensor {
    /// Checks that this tensor is an NCHW batch, for operation `op`.
    func requireImages(_ op: String) throws -> ImageBatch {
        guard shape.rank == 4 else {
            throw ShapeError("\(op) expects a 4-d input (batch, channels, height, width), got \(shape)")
        }
        return ImageBatch(shape)
    }
}

/// 2-d convolution (cross-correlation, as in PyTorch) of a batch x (N, C, H, W) with weight
/// (O, C, K, K) and an optional bias (O). Output (N, O, OH, OW), OH = (H + 2·padding − K) / stride + 1.
///
/// `thenReLU` gives relu(conv2d(x)), the same numbers and gradients as the two ops, with the
/// ReLU applied in place: the convolution's own output is not kept beside the ReLU's.
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                   thenReLU: Bool = false) throws -> Tensor {
    let (input, window, outShape) = try convolutionWindow(x, weight: weight, bias: bias, stride: stride, padding: padding)
    OpCounter.add(outShape.count * input.c * window.size * window.size)
    if let shapeOnly = Tensor.shapeOnlyResult(outShape, of: x, weight) { return shapeOnly }
    let y = Tensor(uninitialized: outShape)
    Kernels.conv2dForward(x: x.data, input, weight: weight.data, bias: bias?.data, outChannels: outShape[1], window: window,
                          y: y.data)
    if thenReLU { Kernels.reluInPlace(y.data, count: y.count) }

    return y.recorded(from: [x, weight] + (bias.map { [$0] } ?? []),
                      operation: operationName(thenReLU: thenReLU)) { y in
        var dy = y.grad!
        if thenReLU {
            // The ReLU's backward, into the gradient the convolution's passes read.
            let passed = Tensor(uninitialized: y.shape)
            Kernels.reluBackward(y.data, dy.data, passed.data, count: y.count)
            dy = passed
        }
        convolutionBackward(dy, x: x, weight: weight, bias: bias, window: window)
    }
}

/// Checks a convolution's operands: x as a batch, its window, and the output's shape.
func convolutionWindow(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int) throws
    -> (ImageBatch, Window, Shape) {
    let input = try x.requireImages("conv2d")
    guard weight.shape.rank == 4, weight.shape[2] == weight.shape[3] else {
        throw ShapeError("conv2d expects a weight of shape [out, in, k, k], got \(weight.shape)")
    }
    let (o, k) = (weight.shape[0], weight.shape[2])
    guard weight.shape[1] == input.c else {
        throw ShapeError("conv2d with weight \(weight.shape) expects \(weight.shape[1]) input channels, got input \(x.shape)")
    }
    if let bias, bias.shape != [o] {
        throw ShapeError("conv2d expects a bias of shape [\(o)], got \(bias.shape)")
    }
    let window = Window(size: k, stride: stride, padding: padding)
    let (oh, ow) = (window.outputSize(input.h), window.outputSize(input.w))
    guard oh > 0 && ow > 0 else {
        throw ShapeError("conv2d: a \(k)x\(k) kernel with padding \(padding) does not fit input \(x.shape)")
    }
    return (input, window, [input.n, o, oh, ow])
}

/// A convolution's input and weight gradients from the gradient of its output, dy, into those
/// of x, weight and bias that want one.
func convolutionBackward(_ dy: Tensor, x: Tensor, weight: Tensor, bias: Tensor?, window: Window) {
    let (input, o) = (ImageBatch(x.shape), weight.shape[0])
    if x.requiresGrad {
        let dx = Tensor(uninitialized: x.shape)
        Kernels.conv2dBackwardInput(dy: dy.data, weight: weight.data, outChannels: o, window: window, dx: dx.data, input)
        x.accumulateGrad(dx)
    }
    if weight.requiresGrad || bias?.requiresGrad == true {
        accumulateParameterGradients(weight: weight, bias: bias) { dweight, dbias in
            Kernels.conv2dBackwardWeight(dy: dy.data, x: x.data, input, outChannels: o, window: window,
                                         dweight: dweight, dbias: dbias)
        }
    }
}

/// The weight's and bias's gradients, written together by `compute` (the bias's only where
/// there is a bias), added to those of the two that want one.
func accumulateParameterGradients(weight: Tensor, bias: Tensor?,
                                  _ compute: (_ dweight: UnsafeMutablePointer<Float>, _ dbias: UnsafeMutablePointer<Float>?) -> Void) {
    let dweight = Tensor(uninitialized: weight.shape)
    let dbias = bias.map { Tensor(uninitialized: $0.shape) }
    compute(dweight.data, dbias?.data)
    if weight.requiresGrad { weight.accumulateGrad(dweight) }
    if let bias, let dbias, bias.requiresGrad { bias.accumulateGrad(dbias) }
}
