import Tensors

/// Maximum over each window, per channel, as PyTorch's `nn.MaxPool2d`. Stride defaults to the
/// kernel size. Output size as for `Conv2d`; channels unchanged.
///
///     MaxPool2d(kernelSize: 3, stride: 2)     // [1, 96, 54, 54] -> [1, 96, 26, 26]
public final class MaxPool2d: ParameterFree, ReLUFusing {
    public let kernelSize: Int, stride: Int, padding: Int

    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        (self.kernelSize, self.stride, self.padding) = (kernelSize, stride ?? kernelSize, padding)
    }

    public func forward(_ x: Tensor) throws -> Tensor { try forward(x, thenReLU: false) }

    func forward(_ x: Tensor, thenReLU: Bool) throws -> Tensor {
        try maxPool2d(x, kernelSize: kernelSize, stride: stride, padding: padding, thenReLU: thenReLU)
    }

    public var description: String {
        "MaxPool2d(kernel_size=\(kernelSize), stride=\(stride)" + (padding != 0 ? ", padding=\(padding)" : "") + ")"
    }

    public var hyperparameters: String { poolingHyperparameters(kernelSize, stride, padding) }
}

/// Mean over each window, per channel, as PyTorch's `nn.AvgPool2d` (padding counts as zeros).
///
///     AvgPool2d(kernelSize: 2, stride: 2)     // [1, 6, 28, 28] -> [1, 6, 14, 14]
public final class AvgPool2d: ParameterFree {
    public let kernelSize: Int, stride: Int, padding: Int

    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        (self.kernelSize, self.stride, self.padding) = (kernelSize, stride ?? kernelSize, padding)
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try avgPool2d(x, kernelSize: kernelSize, stride: stride, padding: padding)
    }

    public var description: String {
        "AvgPool2d(kernel_size=\(kernelSize), stride=\(stride)" + (padding != 0 ? ", padding=\(padding)" : "") + ")"
    }

    public var hyperparameters: String { poolingHyperparameters(kernelSize, stride, padding) }
}

/// Averages each channel down to a fixed (height, width), whatever the input size, as PyTorch's
/// `nn.AdaptiveAvgPool2d`. With 1 it is global average pooling: (N, C, H, W) → (N, C, 1, 1).
public final class AdaptiveAvgPool2d: ParameterFree {
    public let outputHeight: Int, outputWidth: Int

    public init(_ outputSize: Int) { (outputHeight, outputWidth) = (outputSize, outputSize) }
    public init(_ outputSize: (Int, Int)) { (outputHeight, outputWidth) = outputSize }

    public func forward(_ x: Tensor) throws -> Tensor {
        try adaptiveAvgPool2d(x, outputSize: (outputHeight, outputWidth))
    }

    public var description: String { "AdaptiveAvgPool2d(output_size=(\(outputHeight), \(outputWidth)))" }

    public var hyperparameters: String { "to \(outputHeight)×\(outputWidth)" }
}

/// "3×3, stride 2" (and the padding, if any).
func poolingHyperparameters(_ k: Int, _ stride: Int, _ padding: Int) -> String {
    "\(k)×\(k), stride \(stride)" + (padding != 0 ? ", pad \(padding)" : "")
}
