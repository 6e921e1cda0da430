/// maxPool2d(relu(conv2d(x))) in one op: the same numbers and gradients as the three, which
/// `Sequential` runs this way (VGG's blocks end so). Where one image's feature maps are large
/// or go by direct's rows (`Kernels.fusesConvolutionAndPool`: VGG's first layer), the
/// forward convolves and pools image by image in cache (`conv2dReLUMaxPoolForward`), and the maps are
/// never kept for the backward pass: the pool's winners are all it needs (and the
/// first layer's weight gradient reads its gradient from them, `conv2dReLUMaxPoolWeightGradient`).
/// Elsewhere it is `conv2d`, then `maxPool2d(thenReLU:)`.
public func conv2dReLUMaxPool2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                                poolSize: Int, poolStride: Int? = nil, poolPadding: Int = 0) throws -> Tensor {
    let (input, window, mapsShape) = try convolutionWindow(x, weight: weight, bias: bias, stride: stride, padding: padding)
    let maps = ImageBatch(mapsShape)
    let (pool, outShape) = try poolingWindow("max_pool2d", maps, kernelSize: poolSize, stride: poolStride, padding: poolPadding)
    guard Kernels.fusesConvolutionAndPool(input, outChannels: maps.c, window: window, pool: pool) else {
        let y = try conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
        return try maxPool2d(y, kernelSize: poolSize, stride: poolStride, padding: poolPadding, thenReLU: true)
    }
    OpCounter.add(mapsShape.count * input.c * window.size * window.size)
    if let shapeOnly = Tensor.shapeOnlyResult(outShape, of: x, weight) {
        _ = Tensor(shapeOnly: outShape)  // the winners' indices, kept for the backward pass
        return shapeOnly
    }
    let y = Tensor(uninitialized: outShape)
    let winners = ArgmaxBuffer(count: outShape.count)
    Kernels.conv2dReLUMaxPoolForward(x: x.data, input, weight: weight.data, bias: bias?.data, outChannels: maps.c,
                                     window: window, pool: pool, y: y.data, argmax: winners.pointer)
    return y.recorded(from: [x, weight] + (bias.map { [$0] } ?? []), operation: "conv2d+relu+maxPool2d") { y in
        let parameters = weight.requiresGrad || bias?.requiresGrad == true
        guard !x.requiresGrad && parameters
                && Kernels.unpoolsIntoWeightGradient(input, outChannels: maps.c, window: window, pool: pool) else {
            // The pool's backward into the maps' gradient, then the convolution's.
            let gradient = Tensor(uninitialized: mapsShape)
            Kernels.maxPoolBackward(y.grad!.data, argmax: winners.pointer, maps, window: pool, gradient.data)
            return convolutionBackward(gradient, x: x, weight: weight, bias: bias, window: window)
        }
        accumulateParameterGradients(weight: weight, bias: bias) { dweight, dbias in
            Kernels.conv2dReLUMaxPoolWeightGradient(dy: y.grad!.data, argmax: winners.pointer, x: x.data, input,
                                                    outChannels: maps.c, window: window, pool: pool,
                                                    dweight: dweight, dbias: dbias)
        }
    }
}
