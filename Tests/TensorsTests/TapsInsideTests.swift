import Testing
@testable import Tensors

/// channelLanes skips the kernel taps that read the zero border: the results are checked against
/// the reference in ConvolutionTests; these check that the skipping happens, so that a plan that
/// quietly sums every tap again (correct, and a fifth slower at 6²) fails here.
@Suite struct TapsInsideTests {
    /// Taps inside the image over one 6×6 plane, 3×3 kernel, padding 1, per input channel:
    /// 16 inside positions × 9, 16 edge positions × 6, 4 corners × 4.
    static let insidePerChannel = 16 * 9 + 16 * 6 + 4 * 4

    static func layout(channels: Int) -> PaddedImages {
        PaddedImages(ConvGeometry(ImageBatch(n: 16, c: channels, h: 6, w: 6), outChannels: 64,
                                  window: Window(size: 3, stride: 1, padding: 1)), rowVectors: false)
    }

    @Test func forwardSumsOnlyTheTapsInside() {
        let plan = PositionClasses(Self.layout(channels: 4), batch: 16, outChannels: 64)
        // Nine classes of whole tiles: every step of every tile is a tap inside the image.
        #expect(plan.classes.count == 9)
        let steps = plan.classes.reduce(0) { $0 + $1.positions.count * $1.taps.count }
        #expect(steps == plan.images * 4 * Self.insidePerChannel)
        // Each image's 36 positions once, each written to its own output.
        var targets = plan.classes.flatMap { c in (0..<plan.positionCount(c, images: plan.images)).map { plan.targets.pointer[c.positions.lowerBound + $0] } }
        targets.sort()
        #expect(targets == (0..<plan.images).flatMap { i in (0..<36).map { i * 64 * 36 + $0 } })
    }

    @Test func partFilledTilesMixIntoOneClassOfEveryTap() {
        // 9×9 planes, 5×5 kernel, padding 2: 25 classes of 1 to 25 positions per image. At 2
        // images a group, the positions that do not fill a tile of their class go to one class
        // that sums every tap; the batch's last group has one image.
        let layout = PaddedImages(ConvGeometry(ImageBatch(n: 3, c: 2, h: 9, w: 9), outChannels: 32,
                                               window: Window(size: 5, stride: 1, padding: 2)), rowVectors: false)
        let plan = PositionClasses(layout, batch: 3, outChannels: 32)
        #expect(plan.images == 2 && plan.classes.count > 1)
        #expect(plan.classes.last!.taps.count == 2 * 25)
        #expect(plan.classes.dropLast().allSatisfy { $0.positions.count % 8 == 0 && plan.positionCount($0, images: 2) == $0.positions.count })
        // Each image's 81 positions once, for a whole group and for the last group's one image.
        for images in 1...2 {
            var targets = plan.classes.flatMap { c in
                (0..<plan.positionCount(c, images: images)).map { plan.targets.pointer[c.positions.lowerBound + $0] }
            }
            targets.sort()
            #expect(targets == (0..<images).flatMap { i in (0..<81).map { i * 32 * 81 + $0 } })
        }
    }

    @Test(arguments: [
        // ConvolutionTests' cases: a 3×3 stride 2 in tiles of 6 × 64, as ResNet's, and 3×3
        // planes 8 to a group in tiles of 8 × 32, the batch's second group partial (copied
        // without a border).
        (ImageBatch(n: 2, c: 3, h: 9, w: 9), 128, Window(size: 3, stride: 2, padding: 1), 6),
        (ImageBatch(n: 11, c: 5, h: 3, w: 3), 40, Window(size: 3, stride: 1, padding: 1), 8),
    ])
    func forwardReadsInPlaceOnlyTheTapsInside(_ input: ImageBatch, _ outChannels: Int, _ window: Window, _ width: Int) {
        let g = ConvGeometry(input, outChannels: outChannels, window: window)
        let (layout, plan) = PositionClasses.forward(g, outChannels: outChannels, width: width, lanes: 64)
        #expect(layout.isImageItself && !layout.hasZeroBorder)
        // Every step of every position (the repeats that fill a class's last tile too) reads
        // its own image, in place: a start before the image's first value is never read as such.
        let image = input.image
        for positionClass in plan.classes {
            for p in positionClass.positions {
                let owner = plan.targets.pointer[p] / (outChannels * g.outputPlane)
                for t in positionClass.taps {
                    let read = plan.starts.pointer[p] + plan.tapOffsets.pointer[t]
                    #expect(read >= owner * image && read < (owner + 1) * image)
                }
            }
        }
    }

    @Test func forwardCopiesInsideABorderWhereMixingSavesSteps() {
        // partFilledTilesMixIntoOneClassOfEveryTap's 9×9, 5×5, padding 2: the mixed class of
        // every tap, which reads the border's zeros, saves more than 2% of the steps.
        let g = ConvGeometry(ImageBatch(n: 3, c: 2, h: 9, w: 9), outChannels: 32, window: Window(size: 5, stride: 1, padding: 2))
        let (layout, plan) = PositionClasses.forward(g, outChannels: 32, width: 8, lanes: 32)
        #expect(layout.hasZeroBorder && !layout.isImageItself)
        #expect(plan.classes.last!.taps.count == 2 * 25)
    }

    @Test func weightGradientSumsOnlyThePositionsInside() {
        let plan = TapBlocks(Self.layout(channels: 8), images: 3)
        // 72 taps in 9 blocks, one (ki, kj) each: a block's 8 taps share their positions.
        #expect(plan.blocks.count == 9)
        let steps = plan.blocks.reduce(0) { $0 + 8 * $1.perImage }
        #expect(steps == 8 * Self.insidePerChannel)
        // Every tap in exactly one slot.
        #expect(Set((0..<72).map { plan.slots.pointer[$0] }).count == 72)
        #expect((0..<72).allSatisfy { plan.taps.pointer[plan.slots.pointer[$0]] == $0 })
    }

    @Test(arguments: [
        // 8 channels in blocks of 8 taps, a group of 14 images of 3²; 6 channels in blocks of 6
        // taps with stride 2; 16 channels of a 5×5 kernel with padding 2.
        (ImageBatch(n: 11, c: 8, h: 3, w: 3), Window(size: 3, stride: 1, padding: 1), 8),
        (ImageBatch(n: 3, c: 6, h: 9, w: 11), Window(size: 3, stride: 2, padding: 1), 6),
        (ImageBatch(n: 2, c: 16, h: 7, w: 6), Window(size: 5, stride: 1, padding: 2), 8),
    ])
    func weightGradientReadsInPlaceOnlyTheTapsInside(_ input: ImageBatch, _ window: Window, _ width: Int) {
        let g = ConvGeometry(input, outChannels: 64, window: window)
        let group = 14
        let (layout, plan) = TapBlocks.weightGradient(g, images: group, width: width, lanes: 64)
        #expect(layout.isImageItself && !layout.hasZeroBorder)
        // Every tap of every block (a last block's repeats too), at every step, reads the
        // step's own image.
        let rowBytes = 64 * MemoryLayout<Float>.stride
        for (b, block) in plan.blocks.enumerated() {
            for q in block.positions {
                let owner = plan.rowOffsets.pointer[q] / rowBytes / g.outputPlane
                for slot in 0..<width {
                    let read = plan.starts.pointer[q] + layout.tapOffsets.pointer[plan.taps.pointer[b * width + slot]]
                    #expect(read >= owner * input.image && read < (owner + 1) * input.image)
                }
            }
        }
    }

    @Test func weightGradientCopiesInsideABorderWhereBlocksMixTaps() {
        // 3 channels in blocks of 8 taps: a block holds taps of different kernel rows and
        // columns, which the border's zeros let it sum over the positions of any.
        let g = ConvGeometry(ImageBatch(n: 2, c: 3, h: 7, w: 7), outChannels: 32, window: Window(size: 3, stride: 1, padding: 1))
        let (layout, plan) = TapBlocks.weightGradient(g, images: 2, width: 8, lanes: 32)
        #expect(layout.hasZeroBorder && !layout.isImageItself && !plan.readsOnlyInside)
    }

    @Test func oneClassWhereSplittingCostsMore() {
        // One image of a 3×3 plane: nine classes of one position would run nine part-filled
        // tiles, where all nine positions in two tiles over every tap cost less.
        let layout = PaddedImages(ConvGeometry(ImageBatch(n: 1, c: 4, h: 3, w: 3), outChannels: 32,
                                               window: Window(size: 3, stride: 1, padding: 1)), rowVectors: false)
        let plan = PositionClasses(layout, batch: 1, outChannels: 32)
        #expect(plan.classes.count == 1 && plan.classes[0].taps.count == 36 && plan.positionCount(plan.classes[0], images: 1) == 9)
    }
}
