import Foundation
import Tensors

/// 2-d convolution over a batch of images, as PyTorch's `nn.Conv2d`.
///
/// Input (N, inChannels, H, W) → output (N, outChannels, OH, OW) with
/// OH = ⌊(H + 2·padding − kernelSize) / stride⌋ + 1, and likewise OW.
///
///     Conv2d(1, 6, kernelSize: 5, padding: 2)     // [1, 1, 28, 28] -> [1, 6, 28, 28]
///
/// Weight (out, in, k, k) and bias (out) start as PyTorch's do: uniform in ±1/√(in·k·k).
public final class Conv2d: Layer, ReLUFusing {
    public let weight: Tensor
    public let bias: Tensor?
    public let inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, padding: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true) {
        precondition(inChannels >= 1 && outChannels >= 1 && kernelSize >= 1 && stride >= 1 && padding >= 0,
                     "Conv2d(\(inChannels), \(outChannels), kernelSize: \(kernelSize), stride: \(stride), padding: \(padding))")
        (self.inChannels, self.outChannels, self.kernelSize, self.stride, self.padding) =
            (inChannels, outChannels, kernelSize, stride, padding)
        let bound = 1 / Float(inChannels * kernelSize * kernelSize).squareRoot()
        weight = .uniform([outChannels, inChannels, kernelSize, kernelSize], -bound, bound, requiresGrad: true)
        self.bias = bias ? .uniform([outChannels], -bound, bound, requiresGrad: true) : nil
    }

    public func forward(_ x: Tensor) throws -> Tensor { try forward(x, thenReLU: false) }

    func forward(_ x: Tensor, thenReLU: Bool) throws -> Tensor {
        try conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, thenReLU: thenReLU)
    }

    /// pool(relu(self(x))) as one op (`conv2dReLUMaxPool2d`).
    func forward(_ x: Tensor, thenReLUAndMaxPool pool: MaxPool2d) throws -> Tensor {
        try conv2dReLUMaxPool2d(x, weight: weight, bias: bias, stride: stride, padding: padding,
                                poolSize: pool.kernelSize, poolStride: pool.stride, poolPadding: pool.padding)
    }

    public var description: String {
        "Conv2d(\(inChannels), \(outChannels), kernel_size=\(kernelSize)"
            + (stride != 1 ? ", stride=\(stride)" : "") + (padding != 0 ? ", padding=\(padding)" : "")
            + (bias == nil ? ", bias=False" : "") + ")"
    }

    public var hyperparameters: String {
        "\(inChannels)→\(outChannels), \(kernelSize)×\(kernelSize)" + (stride != 1 ? ", stride \(stride)" : "")
            + (padding != 0 ? ", pad \(padding)" : "")
    }
}
