/// The ways the kernels compute a convolution, from the plainest to the fastest. All of them
/// compute the sums of `Reference.conv2d`; they differ in how they feed them to the processor.
///
///     algorithm    forward    input gradient   weight gradient   where
///     reference    yes        yes              yes               Reference.swift, run in Float on one thread
///     im2colGEMM   yes        yes              yes               Im2colConvolution.swift
///     packed       yes        yes              yes               PackedConvolution.swift
///     direct       stride 1   stride 1         stride 1          DirectConvolution.swift, ShiftedRows.swift
///     channelLanes yes        yes              yes               ChannelLanesConvolution.swift
///     inputLanes   yes        stride 1         yes               InputLanesConvolution.swift
///     winograd     3×3, 5×5   3×3, 5×5         3×3               WinogradConvolution.swift
///                  s1         s1               s1
///
/// With stride 1 the input gradient is itself a forward convolution (of dy, with the kernels
/// turned 180° and the channel axes swapped: `conv2dBackwardInputAsForward`), so direct,
/// channelLanes and inputLanes have it by their forward kernel. With a stride (or padding as
/// wide as the kernel) channelLanes sums dx's positions phase by phase
/// (`conv2dBackwardInputChannelLanes`).
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
    /// images, with output positions in the vector lanes (on narrow planes, 16 positions of the
    /// flattened plane, from copies of the image shifted per kernel column: `ShiftedRows`); the
    /// weight gradient keeps its sums in registers.
    case direct
    /// Output channels in the vector lanes: 8 output positions (forward; 6 when the channels
    /// come in blocks of 64) or 8 kernel taps (weight gradient) broadcast from the zero-padded
    /// image in place, times 32 (or 64) channels' weights or dy.
    /// Every lane busy on narrow rows, and any stride; taps that read the zero border are skipped
    /// (TapsInside.swift). With 16 channels or fewer on rows a multiple of 10 wide, the forward
    /// takes two 10-position pieces of rows a tile (ChannelLaneSegments.swift).
    case channelLanes
    /// Input channels in the vector lanes: the images copied channels innermost, each output a
    /// dot product over runs of (kernel column, channel), in tiles of 5 output channels by 4
    /// positions (forward) or by 64 channels of one tap (weight gradient). For few output
    /// channels over many input channels. The input gradient with stride 1 only, as a forward.
    case inputLanes
    /// 3×3 or 5×5 with stride 1 only: Winograd's F(2×2, 3×3), 16 GEMMs over the transformed
    /// patches and weights with 16/36 of the multiply-adds, or F(2×2, 5×5), 36 GEMMs with 36/100
    /// of them; the weight gradient (3×3 only), 16 GEMMs over the transformed patches and output
    /// gradients.
    case winograd

    /// The three passes of a convolution in a training step.
    package enum Pass: String, CaseIterable, Sendable {
        case forward, inputGradient, weightGradient
    }

    /// Whether this algorithm can compute `pass` of a convolution with this window.
    package func supports(_ pass: Pass, window: Window) -> Bool {
        switch self {
        case .reference, .im2colGEMM, .packed: true
        case .direct: window.stride == 1 && (pass != .inputGradient || window.padding < window.size)
        case .channelLanes: true
        case .inputLanes: pass != .inputGradient || (window.stride == 1 && window.padding < window.size)
        case .winograd:
            (window.size == 3 || (window.size == 5 && pass != .weightGradient)) && window.stride == 1
                && (pass != .inputGradient || window.padding < window.size)
        }
    }

    /// The algorithm the kernels use for `pass` when not told, from the sizes alone, never from
    /// timings: a run takes the same paths, and gets the same bits, every time and for any
    /// thread count. The rules come from the bench (`swift run -c release bench conv`).
    ///
    /// - 1×1 with stride 1 and no padding, the convolution is a matrix product per image, read
    ///   and written in place (im2colGEMM skips im2col). The weight gradient goes by
    ///   channelLanes from 32 output channels (the rule for every layer below), by im2colGEMM
    ///   with fewer, but by packed on planes under 16 positions, where a GEMM per image sums too few terms
    ///   to vectorize its packing and reads and writes all of dw for each: packed's GEMM sums
    ///   over the images (GoogLeNet's 832 → 384, → 128, → 48 at 3²: 93.0, 85.2, 64.0 GFLOP/s
    ///   against 52.9, 60.6, 41.0, `bench --rounds 5 --pass weight`, 2-core AMD EPYC). The
    ///   forward and the input gradient go by im2colGEMM when the plane has 256 positions or
    ///   more; on smaller planes, by the rules below (direct's lanes counted over the whole
    ///   plane, its one row), which pick channelLanes for GoogLeNet's 1×1 layers at 12², 6² and
    ///   3² (direct for 192 → 16 at 12²) and NiN's at 12² (direct for its 10-channel ones at 5²).
    ///   Measured on a 2-core Xeon, each pair timed in turn in one process (the machine's speed
    ///   drifts by tens of percent from one run to the next): forward at 54², 26², 24² by im2colGEMM
    ///   1.15–1.53× direct's speed; at 6² and 3² channelLanes 1.85× and 3.7× direct's, 1.8× and
    ///   4.2× im2colGEMM's; at 12², channelLanes 0.94–1.15× direct's. Input gradient against
    ///   packed: im2colGEMM 1.11–1.48× from 24² up, channelLanes 1.15–1.26× at 6² and 3².
    ///   Weight gradient: im2colGEMM 0.95–1.16× channelLanes from 3² to 54², below 1 only at 6²
    ///   with 240 channels, on a 2-core AMD EPYC; but on a 2-core Xeon, with channelLanes'
    ///   kernels of December 2026, channelLanes ran NiN's 96 → 96 at 54² 1.227 times as fast
    ///   (184 against 226 GFLOP/s), GoogLeNet's 480 → 192 at 6² 1.293 times, and NiN, GoogLeNet
    ///   and DenseNet trained 1.017, 1.028, 1.014 times as fast (`compare_builds --rounds 5`,
    ///   lowest rounds 1.212, 1.221; 0.957, 1.004, 0.996).
    /// - forward and weight gradient, 16 output channels or fewer from 64 input channels or
    ///   more (NiN's last layer), and the weight gradient with 32 on planes of 6² or smaller
    ///   (DenseNet's last blocks): inputLanes, by `inputLanesPays`.
    /// - 3×3 with stride 1: Winograd when it has channels enough (`winogradPays`); for the
    ///   weight gradient, more of them. 5×5 with stride 1: Winograd's F(2×2, 5×5) for the
    ///   forward and input gradient by the same rule of channels.
    /// - forward: for 16 output channels or fewer, or from 32, whichever of direct and
    ///   channelLanes fills more of its vector lanes (a row of output positions, or the output
    ///   channels in blocks of 32, or one block of 16 or fewer), direct on a tie
    ///   (`channelLanesFillMore`). With 16 channels: LeNet's
    ///   second convolution (10-wide rows) ran at 115–119 GFLOP/s by direct, 98 by 32-lane
    ///   tiles, 168 by 16-lane ones. Direct's shifted rows (`ShiftedRows`: 100 of 112 lanes)
    ///   had then run it at 1.00–1.06 times the 16-lane tiles' speed (262–282 against 254–275
    ///   GFLOP/s, `bench --rounds 9`, on a 2-core AMD EPYC), and were chosen; with the tiles'
    ///   write-out in vectors, at 0.81 (78.0 and 79.2 against 96.4 and 97.3, `bench --rounds 9
    ///   --pass forward`, twice), so the rule no longer counts them. VGG's
    ///   16-channel input gradient (112-wide rows) went by 16-lane tiles until a Xeon ran it at
    ///   197.8 GFLOP/s by direct against 153.3 (`bench --rounds 3`; a Zen 4 had given 157–164
    ///   by direct, 170–175 by the tiles), hence the weight on 16-lane tiles below.
    ///   Otherwise direct. With stride 2 or more: channelLanes from 32 channels, else packed.
    /// - input gradient: with stride 1, the forward rule for the convolution it is (see
    ///   `conv2dBackwardInputAsForward`: its output channels are the layer's input channels).
    ///   Packed for fewer than 6 input channels, which leave rows of direct's 6-row tile empty
    ///   (LeNet's first layer, 1 channel: packed 57 against 31 GFLOP/s; its second, 6 channels:
    ///   direct 104 against 79). With a stride, channelLanes from 32 input channels (ResNet's
    ///   3×3 stride 2 at 24², `bench --rounds 5`: 106 GFLOP/s against packed's 87), unless the
    ///   kernel is smaller than the stride: then most of dx is zeros, which channelLanes writes
    ///   through empty tiles (the 1×1 stride-2 shortcut: 34 against 68).
    /// - weight gradient: channelLanes from 32 output channels, and for 16 or fewer with stride
    ///   1 by the forward's rule of filled lanes (rows of the padded image for direct's): LeNet's
    ///   second convolution ran at 144 GFLOP/s in 16-lane tiles against direct's 82, while
    ///   VGG's first layer (a tie: 224-wide rows) ran at 22 against 41: its copy of dy, 6.4 MB
    ///   an image, is read from memory once per block of 8 taps. Otherwise, for stride 1 and a
    ///   weight matrix of a few GEMM tiles at most (LeNet's first layer is 6×25, a fraction of
    ///   one 8×32 tile), direct's dot products, 4× faster than GEMM there: GEMM would spend its
    ///   time packing the long sum's operands. Otherwise packed.
    package static func chosen(for pass: Pass, _ input: ImageBatch, outChannels: Int, window: Window) -> ConvolutionAlgorithm {
        let g = ConvGeometry(input, outChannels: outChannels, window: window)
        switch pass {
        case .forward:
            if inputLanesPays(g, pass: .forward) { return .inputLanes }
            guard window.stride == 1 else { return outChannels >= 32 ? .channelLanes : .packed }
            return stride1Forward(g)
        case .inputGradient:
            if window.stride > 1 { return input.c >= 32 && window.size >= window.stride ? .channelLanes : .packed }
            guard window.padding < window.size && input.c >= 6 else { return .packed }
            return stride1Forward(g.inputGradientAsForward)
        case .weightGradient:
            if g.skipsIm2col && g.outputPlane < 16 { return .packed }
            if g.skipsIm2col && outChannels < 32 { return .im2colGEMM }
            if inputLanesPays(g, pass: .weightGradient) { return .inputLanes }
            if winogradPays(g, pass: .weightGradient) { return .winograd }
            if outChannels >= 32 { return .channelLanes }
            guard window.stride == 1 else { return .packed }
            if channelLanesFillMore(outChannels: outChannels, outputWidth: g.outputWidth) { return .channelLanes }
            return outChannels * g.patch <= 16_384 ? .direct : .packed
        }
    }

    /// The forward rule for stride 1: Winograd where it pays, a matrix product per image for a
    /// 1×1 layer on a large plane, else whichever of channelLanes and direct fills more lanes.
    /// A 1×1 layer without padding is one long row to direct (`directRows`), its whole plane:
    /// counted as rows of `outputWidth`, GoogLeNet's 192 → 16 at 12² went by channelLanes' 16-lane
    /// tiles at 56.7 GFLOP/s against direct's 77.2 (144 of 160 lanes), and NiN's 10 → 10 at 5²
    /// at 8.0 against 20.9 (`bench --rounds 7 --pass forward`, 2-core AMD EPYC).
    static func stride1Forward(_ g: ConvGeometry) -> ConvolutionAlgorithm {
        if winogradPays(g) { return .winograd }
        if g.skipsIm2col && g.outputPlane >= 256 { return .im2colGEMM }
        let rows = g.directRows
        return channelLanesFillMore(outChannels: g.outChannels, outputWidth: rows.width, outputRows: rows.height)
            ? .channelLanes : .direct
    }

    /// Whether inputLanes' dot products over (tap, input channel) beat the tiles with output
    /// channels in the lanes, for 16 output channels or fewer over 64 input channels or more
    /// (and 32 for a weight gradient on a small plane).
    /// Its weight gradient (5 channels of dy broadcast for 4 vectors of the image) needs a
    /// kernel wider than 1×1, whose channels-innermost copy of the image costs as much as the
    /// sums; its forward, dot products of 2,048 terms or more, since each tile's 20 sums end
    /// in a sum across lanes. Measured against channelLanes' 16-lane tiles (`bench --rounds 3`,
    /// GFLOP/s, on a 2-core AMD EPYC): NiN's last layer, 384 → 10 at 5², forward 142.5 against
    /// 66.4, weight gradient 108.0 against 48.0; 3×3 to 16 channels at 12² from 256, 128 and (at
    /// 24²) 64 channels, forward 88.7, 69.6, 67.5 against 92.0, 85.7, 86.9, weight gradient 119.0,
    /// 115.4, 122.1 against 81.5, 79.1, 78.4; 1×1 480 → 16 at 6², weight gradient 48.1 against
    /// 96.5.
    /// The weight gradient with 32 output channels pays on planes of 6² or smaller: against
    /// channelLanes' 32-lane tiles (`bench --rounds 5 --pass weight`, 2-core AMD EPYC),
    /// DenseNet's 3×3 to 32 channels ran at 1.16 times the speed from 120 channels at 6², 1.13
    /// from 184, 1.24 from 224, 1.00 from 96, 1.28 from 160 at 3²; on larger planes it went
    /// either way (at 24² from 64, 96, 128, 160 channels: 1.13, 0.89, 1.13, 0.90; at 12² from
    /// 112 and 176: 0.97, 0.95), and DenseNet trained no faster with it there.
    static func inputLanesPays(_ g: ConvGeometry, pass: Pass) -> Bool {
        let fewOutputs = g.outChannels <= 16 || (pass == .weightGradient && g.outChannels <= 32 && g.outputPlane <= 36)
        guard fewOutputs && g.input.c >= 64 else { return false }
        switch pass {
        case .forward: return g.patch >= 2048
        case .weightGradient: return g.window.size > 1
        case .inputGradient: return false
        }
    }

    /// Whether Winograd's F(2×2, 3×3) beats the direct sums on this 3×3 stride-1 layer. Its
    /// GEMMs do 4/9 of the multiply-adds, but each tile costs a transform per input channel and
    /// one per output channel, (C + O) of them for 16 · C · O multiply-adds, and the tiles of an
    /// odd-sized plane compute outputs past its edge. Measured against channelLanes (`bench
    /// --rounds 3`, forward / input gradient, on a 2-core AMD EPYC whose FP32 peak probed at
    /// 511 GFLOP/s): 384→384 at 12² 1.43 / 1.39, 96→128 at 12² 1.19 / 1.22, 64→128 at 28²
    /// 1.19 / 1.03, 256→256 at 6² 1.00 / 0.99, 32→64 at 56² 0.86 / 0.76, 16→32 at 112² 0.55 /
    /// 0.56. So: when (C + O) / (C · O) is at most 64→128's, on a plane of 6² or more whose
    /// tiles' outputs are at least 3/4 in it. (These rules were measured with 2×2 tiles; where
    /// 4×4 tiles run instead, `WinogradTiles.outputTile`, the layers they admit run faster
    /// still.)
    /// The input gradient, a forward of dy, goes by the same rule. An earlier build had trained
    /// AlexNet slower with it (0.94 times the speed with Winograd in both passes, 1.06 in the
    /// forward alone); measured again with the kernels of December 2026, AlexNet's 384 → 384
    /// at 12² ran at 236.9 GFLOP/s by Winograd against channelLanes' 92.3 (`bench
    /// --rounds 5 --pass input`, 2-core AMD EPYC), and AlexNet trained at 1.110 times the speed
    /// (lowest of 5 rounds 1.034; VGG 1.037, GoogLeNet 0.998, both within the machine's drift:
    /// `compare_builds --rounds 5 -- --chosen-only "net AlexNet" "net VGG" "net GoogLeNet"`).
    ///
    /// Since the transforms take 16 tiles of a row at a time in vector lanes, they cost less on
    /// wide planes, so a layer with fewer channels pays too when its rows fill the lanes: when
    /// (C + O) / (C · O), times the lanes a run leaves empty (16 / tiles a row, up to 16), is at
    /// most 1/16. Measured against channelLanes (`bench --rounds 5`, forward / input gradient,
    /// 2-core AMD EPYC): 64→64 at 24² 1.36 / 1.36, 32→64 at 56² 1.33 / 1.02, 96→32 at 24²
    /// 1.07 / 1.71, 64→32 at 24² 1.11 / 1.48 (the rule's edge); left out: 160→32 at 12² 0.89 /
    /// 1.36, 224→32 at 6² 0.73 / 0.92, 16→32 at 112² 0.78 / 0.63.
    /// A forward or input gradient in 4×4 tiles (F(4×4, 3×3): a quarter of the multiply-adds,
    /// and transforms that cost less an output) counts the runs of its own tiles, and pays up to
    /// 1/4. Against the algorithm chosen before (`bench --rounds 3 --pass forward --pass input`,
    /// 2-core AMD EPYC, Zen 4, with the 4×4 patches of December 2026): VGG's 16→32 at 112²
    /// (0.094) 278.0 / 229.2 GFLOP/s against direct's 182.4 / 185.4; DenseNet's 96→32, 128→32
    /// and 192→32 at 12² (0.22, 0.21, 0.19; runs of 3 tiles) 1.18 / 1.48, 1.11 / 1.46, 1.08 /
    /// 1.41 times channelLanes' speed; left out in 2×2 tiles, DenseNet's 160→32 at 6², 0.69 /
    /// 0.97. VGG trained 1.032 times as fast (lowest of 5 rounds 0.998), DenseNet 1.067 (1.023):
    /// `compare_builds --rounds 5 -- --chosen-only "net VGG"`, `--rounds 3 … "net DenseNet"`.
    ///
    /// The weight gradient's GEMMs pack both their operands, the transformed patches and the
    /// transformed output gradients, chunk by chunk (the forward's weights are packed once), so
    /// it took the first rule alone: (C + O) / (C · O) at most 64→128's. Measured against
    /// channelLanes (`bench --rounds 3 --pass weight`, 2-core AMD EPYC): 384→384 at 12² 1.32,
    /// 128→128 at 28² 1.30 and 1.47, 64→192 at 24² 1.29, 64→128 at 28² 1.24, 128→128 at 12²
    /// 1.18, 256→256 at 6² 1.13, 96→128 at 12² 1.12; left out: 64→64 at 56² 1.14 then 0.85,
    /// at 24² 0.95, 128→32 at 24² 0.94, 224→32 at 12² 0.96, 32→64 at 56² 0.79.
    /// In 4×4 tiles (`WinogradTiles.outputTile`) it takes the second rule too, counting runs of
    /// its own tiles, and pays from 64 channels on each side. Against channelLanes (`bench
    /// --rounds 3 --pass weight`, two runs each, 2-core Xeon): VGG's 32 → 64 at 56² (14 tiles a
    /// row) ran at 303–310 GFLOP/s by F(4×4, 3×3) against 269–280 (F(2×2, 3×3) had run at
    /// 220–223), its 64 → 64 at 374–381 against 269–294, ResNet's 64 → 64 at 24² (6 tiles a
    /// row) at 240–317 against 210–292; left out, DenseNet's 128 → 32 at 24², 237–264 against
    /// 262–268.
    ///
    /// A 5×5 layer goes by F(2×2, 5×5), whose GEMMs do 36/100 of the multiply-adds over 36
    /// transformed places a tile, by the first rule alone, forward and input gradient (it has
    /// no weight gradient). AlexNet's 96 → 256 at 26² ran its forward at 603 GFLOP/s (as
    /// plain sums) against channelLanes' 330, its input gradient at 514 against 298; LeNet's
    /// 6 → 16 at 14², which the rule leaves out, at 49 against 242 (`bench --rounds 3`, 2-core
    /// Xeon).
    static func winogradPays(_ g: ConvGeometry, pass: Pass = .forward) -> Bool {
        let (c, o) = (g.input.c, g.outChannels)
        guard ConvolutionAlgorithm.winograd.supports(pass, window: g.window) && c > 0 && o > 0 else { return false }
        let tiles = WinogradTiles(g)
        let manyChannels = (c + o) * 64 * 128 <= (64 + 128) * c * o
        // A pass in 4×4 tiles counts the runs of its own tiles; a weight gradient takes this
        // rule only in them. (C + O) / (C · O) · 16 / (tiles a run) may be up to 1 / limit:
        // 1/16, or 1/4 for a forward or input gradient in 4×4 tiles.
        let ownTiles = WinogradTiles(g, outputTile: WinogradTiles.outputTile(g))
        let inFourByFour = ownTiles.outputTile == 4
        let limit = inFourByFour && pass != .weightGradient ? 4 : 16
        let rowsFillLanes = g.window.size == 3 && (pass != .weightGradient || inFourByFour)
            && (c + o) * 16 * limit <= c * o * min(16, ownTiles.across)
        let wideInFourByFour = pass == .weightGradient && inFourByFour && min(c, o) >= 64
        // The plane holds at least 3/4 of its tiles' 4 · perImage outputs.
        return (manyChannels || rowsFillLanes || wideInFourByFour)
            && g.outputHeight >= 6 && g.outputWidth >= 6 && g.outputPlane >= 3 * tiles.perImage
    }

    /// Whether channelLanes' tiles fill more of their vector lanes than direct's, for a stride-1
    /// pass with `outChannels` channels in the lanes (in blocks of 32, or one block of 16 or
    /// fewer) or positions of `outputRows` rows `outputWidth` wide (a 16-lane vector for rows
    /// up to 16 wide, else 32: two segments of 16 in reading order, `DirectForwardTiles`, so
    /// that rows of 112 fill every lane and one row of 36 fills 36 of 64).
    /// A tie goes to direct. With 16 lanes: VGG's first layer (16 channels, 224-wide rows, 9
    /// taps) sums too little per 16-lane tile to pay for writing it out. With 32: VGG's 16 → 32
    /// at 112², both tiles full once direct's paired segments of rows (whose tiles of 32 along a
    /// row had filled 112 of 128 lanes), ran its forward at 247–258 GFLOP/s by direct against
    /// 224–234 by channelLanes (`bench --rounds 5 --pass forward`, twice). Fewer than 16 channels count
    /// too: NiN's last layer (10 channels, 5-wide rows) ran its forward at 1.7 times direct's
    /// speed by channelLanes' 16-lane tiles (104–130 against 60–76 GFLOP/s), its weight gradient
    /// at 3.5–4 times packed's (113–118 against 26–34; `bench --rounds 3`, two runs), before
    /// inputLanes beat both.
    ///
    /// A filled lane of a 16-lane tile, either algorithm's, counts as `sixteenLaneWeight` of one
    /// in a 32-lane tile: a 16-lane step loads 8 broadcast values, a vector and one or two
    /// indices for 8 multiply-adds, so it waits on loads, while a 32-lane step loads 11 or 12
    /// for 16.
    static func channelLanesFillMore(outChannels: Int, outputWidth: Int, outputRows: Int = 1) -> Bool {
        guard outChannels <= 16 || outChannels >= 32 else { return false }
        let lanes = outChannels <= 16 ? 16 : 32
        let sixteenLaneWeight = 8.0 / 11.0
        let channelFill = Double(outChannels) / Double(roundedUp(outChannels, toMultipleOf: lanes))
            * (lanes == 16 ? sixteenLaneWeight : 1)
        let rowFill = outputWidth <= 16
            ? Double(outputWidth) / 16 * sixteenLaneWeight
            : Double(outputRows * outputWidth) / Double(32 * ((outputRows * ((outputWidth + 15) / 16) + 1) / 2))
        return channelFill > rowFill
    }

    /// `requested`, or the chosen algorithm when it is nil; stops if `requested` lacks `pass`.
    static func resolved(_ requested: ConvolutionAlgorithm?, for pass: Pass, _ g: ConvGeometry) -> ConvolutionAlgorithm {
        guard let requested else { return chosen(for: pass, g.input, outChannels: g.outChannels, window: g.window) }
        precondition(requested.supports(pass, window: g.window),
                     "ConvolutionAlgorithm.\(requested) does not support the \(pass) pass with stride \(g.window.stride) (see ConvolutionAlgorithm.supports)")
        return requested
    }
}
