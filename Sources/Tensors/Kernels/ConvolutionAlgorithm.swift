/// The ways the kernels compute a convolution, from the plainest to the fastest. All of them
/// compute the sums of `Reference.conv2d`; they differ in how they feed them to the processor.
///
///     algorithm    forward    input gradient   weight gradient   where
///     reference    yes        yes              yes               Reference.swift, run in Float on one thread
///     im2colGEMM   yes        yes              yes               Im2colConvolution.swift
///     packed       yes        yes              yes               PackedConvolution.swift
///     direct       stride 1   no               stride 1          DirectConvolution.swift
///
/// `Kernels.conv2dForward`, `conv2dBackwardInput` and `conv2dBackwardWeight` take an
/// `algorithm:`; nil (the default) lets `chosen(for:_:outChannels:window:)` pick, and that is
/// the only place where the choice is made. Asking for a pass an algorithm does not have
/// (`supports(_:window:)` is false) stops the program with a message saying so.
package enum ConvolutionAlgorithm: String, CaseIterable, Sendable {
    /// The seven plain loops of `Reference.conv2d` and its gradients. Read these first.
    case reference
    /// darknet's: an explicit im2col matrix per image, one packed GEMM, and col2im for the
    /// input gradient.
    case im2colGEMM
    /// The same GEMMs without the im2col matrix: their panels are packed straight from the
    /// images, a whole batch at a time.
    case packed
    /// Stride 1 only, no packing: the forward GEMM reads its B operand in place from zero-padded
    /// images, and the weight gradient keeps its sums in registers. No input gradient.
    case direct

    /// The three passes of a convolution in a training step.
    package enum Pass: String, CaseIterable, Sendable {
        case forward, inputGradient, weightGradient
    }

    /// Whether this algorithm can compute `pass` of a convolution with this window.
    package func supports(_ pass: Pass, window: Window) -> Bool {
        switch self {
        case .reference, .im2colGEMM, .packed: true
        case .direct: pass != .inputGradient && window.stride == 1
        }
    }

    /// The algorithm the kernels use for `pass` when not told, from the sizes alone, never from
    /// timings: a run takes the same paths, and gets the same bits, every time and for any
    /// thread count. The thresholds come from the bench (`swift run -c release bench conv`).
    ///
    /// - forward: direct for stride 1 when the rows are long enough to fill its vectors (a 1×1
    ///   convolution's plane is one long row), or when the channels are too few for packing to
    ///   pay (LeNet's 10-wide rows of 16 channels). A 6×6 map of 256 channels fills 12 of a
    ///   tile's 32 lanes; the packed GEMM, which runs across images, fills them all.
    /// - input gradient: packed (direct has none; im2colGEMM is the same GEMM with an extra copy).
    /// - weight gradient: direct for stride 1. With 32 output channels or more it is GEMM's
    ///   outer products reading the image in place (`conv2dBackwardWeightTiles`), faster than
    ///   packed on every bench case (packing col costs a gather per tap and position); with
    ///   fewer, the dot-product kernel, when the weight matrix is a few GEMM tiles at most
    ///   (LeNet's first layer is 6×25, a fraction of one 8×32 tile): there GEMM would spend its
    ///   time packing the long sum's operands, 4× slower on LeNet's first layer.
    package static func chosen(for pass: Pass, _ input: ImageBatch, outChannels: Int, window: Window) -> ConvolutionAlgorithm {
        let g = ConvGeometry(input, outChannels: outChannels, window: window)
        switch pass {
        case .forward:
            let flat = window.size == 1 && window.padding == 0
            return window.stride == 1 && (flat || g.outputWidth >= 10 || outChannels < 32) ? .direct : .packed
        case .inputGradient:
            return .packed
        case .weightGradient:
            return window.stride == 1 && (outChannels * g.patch <= 16_384 || outChannels >= 32) ? .direct : .packed
        }
    }

    /// `requested`, or the chosen algorithm when it is nil; stops if `requested` lacks `pass`.
    static func resolved(_ requested: ConvolutionAlgorithm?, for pass: Pass, _ g: ConvGeometry) -> ConvolutionAlgorithm {
        guard let requested else { return chosen(for: pass, g.input, outChannels: g.outChannels, window: g.window) }
        precondition(requested.supports(pass, window: g.window),
                     "ConvolutionAlgorithm.\(requested) does not support the \(pass) pass with stride \(g.window.stride) (see ConvolutionAlgorithm.supports)")
        return requested
    }
}
