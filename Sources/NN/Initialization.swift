import Tensors

/// Xavier (Glorot) uniform initialization of every convolution and linear weight in `net`, as
/// the book's `init_weights` / `init_cnn`: uniform in ±√(6 / (fanIn + fanOut)), where a
/// convolution's fans count its kernel area (fanIn = in·k·k, fanOut = out·k·k). Biases keep
/// their default. Keeps activations at a similar scale from layer to layer, which sigmoid nets
/// such as LeNet need in order to train at all.
public func xavierUniform(_ net: any Layer, using generator: RandomGenerator = Random.generator) {
    for layer in net.allLayers {
        let weight: Tensor, fanIn: Int, fanOut: Int
        if let conv = layer as? Conv2d {
            let area = conv.kernelSize * conv.kernelSize
            (weight, fanIn, fanOut) = (conv.weight, conv.inChannels * area, conv.outChannels * area)
        } else if let dense = layer as? Linear {
            (weight, fanIn, fanOut) = (dense.weight, dense.inFeatures, dense.outFeatures)
        } else {
            continue
        }
        let bound = (6 / Float(fanIn + fanOut)).squareRoot()
        generator.fillUniform(weight.data, count: weight.count, -bound, bound)
    }
}
