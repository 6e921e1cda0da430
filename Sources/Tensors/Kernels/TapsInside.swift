/// Skipping the taps that read the zero border, in both channelLanes passes and in the direct
/// forward.
///
/// Near the edge of a small plane many taps fall in the border, where the padded image holds
/// zeros: at 6² with a 3×3 kernel and padding 1, a fifth of all taps; at 3², two fifths (the
/// corners have 4 of 9 taps inside, the edges 6). A tile of 8 (or 6) positions of one class
/// sums over that class's taps only. A class is a row class (output rows whose windows have the same
/// kernel rows inside the image) crossed with a column class; a 3×3 kernel with padding 1 has
/// three of each, so nine classes: four corners, four edges and the inside.
///
/// The weight gradient's tile of 8 taps sums over output positions instead; `TapBlocks` puts
/// taps that are inside for the same positions in one block, which sums over those only.
///
/// The direct forward's tiles hold whole rows of positions, so `RowClasses` can only leave out
/// kernel rows: those outside the image for every output row of a tile.
///
/// Leaving out products with a zero does not change a sum, and the terms left keep their order,
/// so every pass gives the same results as summing every tap over every position.

/// The forward's output positions of a group of images in classes by which kernel taps read
/// inside the image, each class with the list of its taps.
///
/// A class whose positions do not fill its last tile can leave them to one mixed class that
/// sums every tap: the taps in the border read zeros, so any position can be summed over more
/// taps than its own. Without it, AlexNet's second layer (26², 5×5, padding 2) ran 25 classes
/// of 1 to 484 positions per image, and their part-filled tiles cost 4% more steps than the
/// taps inside at 3 images a group, 11% at 1 (its input gradient: 921 KB a padded image).
struct PositionClasses {
    struct Class {
        /// The class's steps in `tapOffsets` and `tapRows`.
        var taps: Range<Int>
        /// The class's positions in `starts` and `targets`, those of the group's first image
        /// first, then of the second, and so on; then repeats of its first position up to a
        /// multiple of the tile's width.
        var positions: Range<Int>
        /// Where in `imageCounts` the class's counts start: how many of its positions belong to
        /// the group's first 0, 1, …, `images` images.
        var counts: Int
    }

    /// Images per group: how many padded images lie side by side under one run of tiles.
    let images: Int
    let classes: [Class]
    /// Per step of a class: where its tap (c, ki, kj) is in a padded image, and the byte offset
    /// of its row in the packed (tap, `lanes` channels) weights.
    let tapOffsets: IntBuffer, tapRows: IntBuffer
    /// Per position: where its receptive field starts in the group's padded images, and where
    /// its output is in y, from the group's first image (image · O · plane + position).
    let starts: IntBuffer, targets: IntBuffer
    let imageCounts: IntBuffer
    /// Positions in one image of what the plan writes: y's plane, or dx's.
    let plane: Int
    /// Whether the tiles' sums go to a stage in the order of y's positions, to be written out 8
    /// positions at a time once the plane is done (`Kernels.channelLanesClasses`). Only dx's
    /// phases, whose targets lie a stride apart, are staged, and only when the stage fits in
    /// half of a core's L2 (1 MB of the Xeon's 2 MB). Their plans hold one image, so a
    /// position's target is its row in the stage.
    let staged: Bool

    /// How many of the class's positions belong to the group's first `images` images: the
    /// ones to write when a group (the batch's last) has only that many.
    func positionCount(_ positionClass: Class, images: Int) -> Int { imageCounts.pointer[positionClass.counts + images] }

    /// Floats for a thread's tile sums: one tile's, or a whole class's when its taps run in
    /// chunks (`Kernels.channelLanesChunk`); with two rows of slack past the last tile, since a
    /// 6-row tile is written out transposed as 8 rows. Then, if the sums are `staged`, the
    /// stage: a row of `lanes` floats per position of the plane, and 8 rows of slack, read when
    /// the last 8 are transposed.
    func tileFloats(width: Int, lanes: Int) -> Int {
        sumFloats(width: width, lanes: lanes) + (staged ? (plane + 8) * lanes : 0)
    }

    /// The first part of `tileFloats`: the tile sums, before the stage.
    func sumFloats(width: Int, lanes: Int) -> Int {
        let chunked = classes.contains { $0.taps.count > Kernels.channelLanesChunk }
        let longestClass = classes.map(\.positions.count).max() ?? width
        return ((chunked ? longestClass : width) + 8 - width) * lanes
    }

    /// A class before it is laid out: its kernel rows and columns inside the image, and its
    /// positions as (image in the group, position in the plane), in the order of the images.
    private typealias Part = (rows: Range<Int>, columns: Range<Int>, positions: [(image: Int, position: Int)])

    /// The classes for a convolution of `layout` over a batch of `batch` images, in the group
    /// size and split that sum the fewest taps per image, up to 16 images (and about 1 MB of
    /// padded images); the smallest group on a tie. The splits: one class holding every
    /// position and tap, a class for each set of taps inside, or those with the positions that
    /// do not fill a tile mixed into one class of every tap. A tile holds `width` positions; a
    /// packed weight row, `lanes` channels.
    init(_ layout: PaddedImages, batch: Int, outChannels: Int, width: Int = 8, lanes: Int = 32) {
        self.init(layout, Self.choice(layout, batch: batch, width: width), outChannels: outChannels, width: width, lanes: lanes)
    }

    /// The forward's layout and plan: the images read in place (`zeroBorder: false`), whose classes
    /// sum only their own taps, unless that costs more than 2% more tile steps than a padded copy,
    /// whose part-filled tiles can mix into one class of every tap. Every forward `bench` runs by
    /// channelLanes reads in place: at most 0.2% more steps (VGG's 112²), or fewer where images
    /// without a border let a larger group fit (AlexNet's second layer); so does LeNet's second
    /// input gradient, run as a forward. AlexNet's second input gradient (96 channels of 26² from
    /// 256, 5×5) would take 5% and 7% more steps (tiles of 6 and of 8), and is copied. ResNet's 3×3
    /// stride-2 forward, at 24² and 64 channels, spent a tenth of its time copying each image
    /// inside a border (`perf record`), and ran 1.098 times as fast in place (median of
    /// `compare_builds --rounds 9 -- --chosen-only --pass forward`; the lowest round 1.052).
    static func forward(_ g: ConvGeometry, outChannels: Int, width: Int, lanes: Int) -> (layout: PaddedImages, plan: PositionClasses) {
        let padded = PaddedImages(g, rowVectors: false)
        let copied = choice(padded, batch: g.input.n, width: width)
        // Without padding, the padded images are the images themselves.
        var (layout, chosen) = (padded, copied)
        if g.window.padding > 0 {
            let bare = PaddedImages(g, rowVectors: false, zeroBorder: false)
            let inPlace = choice(bare, batch: g.input.n, width: width)
            if inPlace.stepsPerImage <= copied.stepsPerImage * 1.02 { (layout, chosen) = (bare, inPlace) }
        }
        return (layout, PositionClasses(layout, chosen, outChannels: outChannels, width: width, lanes: lanes))
    }

    /// A plan before it is laid out: images per group, its classes (kernel rows and columns
    /// inside, positions in one plane), whether the positions that do not fill a tile of their
    /// class are mixed into one class of every tap, and the tile steps it sums per image.
    struct Choice {
        fileprivate let group: Int, classes: [SplitClass], mixing: Bool
        let stepsPerImage: Double
    }
    fileprivate typealias SplitClass = (rows: Range<Int>, columns: Range<Int>, positions: [Int])

    /// The group size and split that sum the fewest tile steps per image, as `init` describes;
    /// without `layout`'s zero border, only the split whose classes read no tap outside.
    static func choice(_ layout: PaddedImages, batch: Int, width: Int) -> Choice {
        let g = layout.geometry
        let (k, c) = (g.window.size, g.input.c)
        let (oh, ow) = (layout.outputHeight, layout.outputWidth)
        let (rowRanges, columnRanges) = layout.kernelRangesInside()
        let (rowClasses, columnClasses) = (distinct(rowRanges), distinct(columnRanges))
        // Each split class: its kernel rows and columns, and its positions in one plane.
        var split: [SplitClass] = []
        for rows in rowClasses {
            for columns in columnClasses {
                var positions: [Int] = []
                for oy in 0..<oh where rowRanges[oy] == rows {
                    for ox in 0..<ow where columnRanges[ox] == columns { positions.append(oy * ow + ox) }
                }
                split.append((rows, columns, positions))
            }
        }
        let merged = [(rows: 0..<k, columns: 0..<k, positions: Array(0..<(oh * ow)))]

        // The tile steps per image of a split, counted without laying it out: the plan is made
        // at every call, and building each candidate's lists took 10% of LeNet's second layer.
        func tileSteps(_ classes: [SplitClass], group: Int, mixing: Bool) -> Int {
            var (steps, rest) = (0, 0)
            for part in classes {
                let (count, taps) = (part.positions.count * group, c * part.rows.count * part.columns.count)
                steps += (mixing ? count / width : (count + width - 1) / width) * taps
                if mixing { rest += count % width }
            }
            return steps + (rest + width - 1) / width * c * k * k
        }
        var best = Choice(group: 1, classes: merged, mixing: false, stepsPerImage: .infinity)
        for group in 1...max(1, min(16, batch, (1 << 18) / max(layout.image, 1))) {
            // Without the zero border, a class sums only taps inside for all its positions.
            let candidates = layout.hasZeroBorder ? [(merged, false), (split, false), (split, true)] : [(split, false)]
            for (classes, mixing) in candidates {
                let cost = Double(tileSteps(classes, group: group, mixing: mixing)) / Double(group)
                if cost < best.stepsPerImage * (1 - 1e-9) { best = Choice(group: group, classes: classes, mixing: mixing, stepsPerImage: cost) }
            }
        }
        return best
    }

    /// The plan of `choice` for `layout`.
    private init(_ layout: PaddedImages, _ choice: Choice, outChannels: Int, width: Int, lanes: Int) {
        let g = layout.geometry
        let (k, c) = (g.window.size, g.input.c)
        let (oh, ow) = (layout.outputHeight, layout.outputWidth)
        func parts(_ classes: [SplitClass], group: Int, mixing: Bool) -> [Part] {
            var parts: [Part] = [], rest: [(image: Int, position: Int)] = []
            for part in classes {
                let positions = (0..<group).flatMap { i in part.positions.map { (image: i, position: $0) } }
                let kept = mixing ? positions.count / width * width : positions.count
                if kept > 0 { parts.append((part.rows, part.columns, Array(positions[..<kept]))) }
                rest += positions[kept...]
            }
            if !rest.isEmpty {
                // In the order of the images, each image's in the classes' order.
                let ordered = rest.enumerated().sorted { ($0.element.image, $0.offset) < ($1.element.image, $1.offset) }
                parts.append((0..<k, 0..<k, ordered.map(\.element)))
            }
            return parts
        }
        let (group, chosen) = (choice.group, parts(choice.classes, group: choice.group, mixing: choice.mixing))
        images = group

        let tapCount = chosen.reduce(0) { $0 + c * $1.rows.count * $1.columns.count }
        let positionCount = chosen.reduce(0) { $0 + ($1.positions.count + width - 1) / width * width }
        (tapOffsets, tapRows) = (IntBuffer(count: tapCount), IntBuffer(count: tapCount))
        (starts, targets) = (IntBuffer(count: positionCount), IntBuffer(count: positionCount))
        imageCounts = IntBuffer(count: chosen.count * (group + 1))
        (plane, staged) = (oh * ow, false)
        var classes: [Class] = []
        var (tap, position) = (0, 0)
        for (index, part) in chosen.enumerated() {
            let firstTap = tap, firstPosition = position
            for channel in 0..<c {
                for ki in part.rows {
                    for kj in part.columns {
                        let t = (channel * k + ki) * k + kj
                        tapOffsets.pointer[tap] = layout.tapOffsets.pointer[t]
                        tapRows.pointer[tap] = t * lanes * MemoryLayout<Float>.stride
                        tap += 1
                    }
                }
            }
            // Counts of the positions by image, then summed into counts for the first 0…group.
            let counts = index * (group + 1)
            (imageCounts.pointer + counts).update(repeating: 0, count: group + 1)
            for (i, q) in part.positions {
                starts.pointer[position] = layout.start(image: i, position: q)
                targets.pointer[position] = i * outChannels * oh * ow + q
                imageCounts.pointer[counts + i + 1] += 1
                position += 1
            }
            for images in 1...group { imageCounts.pointer[counts + images] += imageCounts.pointer[counts + images - 1] }
            while (position - firstPosition) % width != 0 {
                (starts.pointer[position], targets.pointer[position]) = (starts.pointer[firstPosition], targets.pointer[firstPosition])
                position += 1
            }
            classes.append(Class(taps: firstTap..<tap, positions: firstPosition..<position, counts: counts))
        }
        self.classes = classes
    }
}

/// The weight gradient's kernel taps in blocks of 8 (or 6), each block with the output
/// positions of a group of images at which one of its taps at least reads inside the image.
/// Taps are sorted by the positions they are inside for (then in GEMM's (c, ki, kj) order), so
/// with a multiple of `width` channels, each block's taps share their positions: for 3×3 and
/// padding 1, every (ki, kj) apart from the centre leaves out a row or a column of the plane.
struct TapBlocks {
    struct Block {
        /// The block's steps in `starts` and `rowOffsets`, `perImage` for each image in turn.
        var positions: Range<Int>
        var perImage: Int
    }

    let blocks: [Block]
    /// The `width` taps of each block, missing ones as the block's first tap (their sums are
    /// dropped).
    let taps: IntBuffer
    /// Each tap's place among the blocks' taps (block · width + slot).
    let slots: IntBuffer
    /// Per step: where the position's receptive field starts in the group's padded images, and
    /// the byte offset of its dy row ([image][position][`lanes` channels]).
    let starts: IntBuffer, rowOffsets: IntBuffer

    /// Taps per block, and channels per row of the transposed dy.
    let width: Int, lanes: Int

    /// Whether each block's taps are all inside the image at every one of the block's
    /// positions (its taps share the kernel rows and columns inside for the same outputs: with
    /// a multiple of `width` channels, or no padding), so that the images can be read in place,
    /// no step reading a tap in the border.
    let readsOnlyInside: Bool

    /// The taps in buckets by the output positions they are inside for, which depend on the
    /// geometry alone: the same with the images read in place or copied inside a border.
    struct Buckets {
        /// The output rows (columns) for which kernel row (column) ki is inside the image.
        let rowsInside: [[Int]], columnsInside: [[Int]]
        /// The taps of each bucket (row rank · k + column rank), in GEMM's (c, ki, kj) order.
        let taps: [[Int]]

        init(_ layout: PaddedImages) {
            let k = layout.geometry.window.size
            let (oh, ow) = (layout.outputHeight, layout.outputWidth)
            let (rowRanges, columnRanges) = layout.kernelRangesInside()
            rowsInside = (0..<k).map { ki in (0..<oh).filter { rowRanges[$0].contains(ki) } }
            columnsInside = (0..<k).map { kj in (0..<ow).filter { columnRanges[$0].contains(kj) } }
            // Kernel rows (columns) inside for the same output rows (columns) share a rank.
            func ranks(_ sets: [[Int]]) -> [Int] {
                let distinct = Array(Set(sets)).sorted { $0.lexicographicallyPrecedes($1) }
                return sets.map { distinct.firstIndex(of: $0)! }
            }
            let (rowRank, columnRank) = (ranks(rowsInside), ranks(columnsInside))
            // A bucket per pair of ranks (each below k), filled in tap order: sorting the taps
            // with a comparison took an eighth of NiN's last weight gradient (3,456 taps).
            var buckets = [[Int]](repeating: [], count: k * k)
            for tap in 0..<layout.geometry.patch {
                let (ki, kj) = Self.kernelPosition(tap, k)
                buckets[rowRank[ki] * k + columnRank[kj]].append(tap)
            }
            taps = buckets
        }

        /// Tap (c, ki, kj)'s kernel row and column, for a k×k kernel.
        static func kernelPosition(_ tap: Int, _ k: Int) -> (ki: Int, kj: Int) { (tap / k % k, tap % k) }

        /// The buckets each block of `width` taps draws from, the taps taken bucket after bucket.
        func ofBlocks(width: Int) -> [[Int]] {
            var blocks = [[Int]](repeating: [], count: (taps.reduce(0) { $0 + $1.count } + width - 1) / width)
            var place = 0
            for (bucket, members) in taps.enumerated() {
                for _ in members {
                    if blocks[place / width].last != bucket { blocks[place / width].append(bucket) }
                    place += 1
                }
            }
            return blocks
        }

        /// Whether every block (its buckets as `ofBlocks` gives them) holds one bucket's taps,
        /// so that it reads inside the image wherever it steps.
        static func readOnlyInside(_ blocks: [[Int]]) -> Bool { blocks.allSatisfy { $0.count <= 1 } }
    }

    /// Blocks of `width` taps, for a tile of `width` taps by `lanes` channels of dy.
    init(_ layout: PaddedImages, images group: Int, width: Int = 8, lanes: Int = 32) {
        let buckets = Buckets(layout)
        self.init(layout, buckets, buckets.ofBlocks(width: width), images: group, width: width, lanes: lanes)
    }

    /// Blocks of `width` taps of `buckets` (made for this geometry), taken bucket after bucket;
    /// `blockBuckets`, each block's buckets (`Buckets.ofBlocks`).
    private init(_ layout: PaddedImages, _ buckets: Buckets, _ blockBuckets: [[Int]], images group: Int, width: Int, lanes: Int) {
        (self.width, self.lanes) = (width, lanes)
        let g = layout.geometry
        let k = g.window.size
        let (oh, ow) = (layout.outputHeight, layout.outputWidth)
        let (rowsInside, columnsInside) = (buckets.rowsInside, buckets.columnsInside)
        let tapCount = g.patch
        let order = buckets.taps.joined()
        let blockCount = (tapCount + width - 1) / width
        taps = IntBuffer(count: blockCount * width)
        slots = IntBuffer(count: tapCount)
        for (place, tap) in order.enumerated() {
            slots.pointer[tap] = place
            taps.pointer[place] = tap
        }
        for place in tapCount..<blockCount * width { taps.pointer[place] = taps.pointer[place / width * width] }

        // A block's positions: those where a tap of one of its buckets is inside. Blocks of the
        // same buckets share their steps. Marked per bucket, not per tap, in one mask at a time:
        // a mask per block, marked by each of its taps (at 112², 144 taps by 12,544 positions),
        // made anew every pass, had VGG's weight gradients at 112² and 56² run at 0.86 times
        // the speed (`compare_builds --rounds 7 -- --pass weight`).
        var shared: [[Int]: Block] = [:]
        var steps: [(start: Int, row: Int)] = []
        var blocks: [Block] = []
        for bucketsOfBlock in blockBuckets {
            if let block = shared[bucketsOfBlock] { blocks.append(block); continue }
            var mask = [Bool](repeating: false, count: oh * ow)
            for bucket in bucketsOfBlock {
                let (ki, kj) = Buckets.kernelPosition(buckets.taps[bucket][0], k)
                for oy in rowsInside[ki] {
                    for ox in columnsInside[kj] { mask[oy * ow + ox] = true }
                }
            }
            let positions = (0..<oh * ow).filter { mask[$0] }
            let first = steps.count
            for i in 0..<group {
                for q in positions {
                    steps.append((layout.start(image: i, position: q),
                                  (i * oh * ow + q) * lanes * MemoryLayout<Float>.stride))
                }
            }
            let block = Block(positions: first..<steps.count, perImage: positions.count)
            shared[bucketsOfBlock] = block
            blocks.append(block)
        }
        self.blocks = blocks
        readsOnlyInside = Buckets.readOnlyInside(blockBuckets)
        (starts, rowOffsets) = (IntBuffer(count: steps.count), IntBuffer(count: steps.count))
        for (q, step) in steps.enumerated() { (starts.pointer[q], rowOffsets.pointer[q]) = step }
    }

    /// The weight gradient's images and blocks for a group of `images`: read in place where
    /// no block steps over a tap in the border (`readsOnlyInside`), else copied inside a zero
    /// border, each image before its steps. VGG's 16 → 32 weight gradient at 112² spent an
    /// eighth of its time copying (`perf record`), and ran 1.055 times as fast in place
    /// (0.86–1.11, `compare_builds --rounds 9 -- --chosen-only --pass weight 112²`).
    /// The plan is laid out once, for the layout chosen.
    static func weightGradient(_ g: ConvGeometry, images: Int, width: Int, lanes: Int) -> (layout: PaddedImages, plan: TapBlocks) {
        let inPlace = PaddedImages(g, rowVectors: false, zeroBorder: false)
        let buckets = Buckets(inPlace)
        let blockBuckets = buckets.ofBlocks(width: width)
        let layout = Buckets.readOnlyInside(blockBuckets) ? inPlace : PaddedImages(g, rowVectors: false)
        return (layout, TapBlocks(layout, buckets, blockBuckets, images: images, width: width, lanes: lanes))
    }

    /// The block's steps at rows `rows` of a group (row: image · positions + position): its
    /// steps go through the rows in order.
    func steps(_ block: Block, rows: Range<Int>) -> Range<Int> {
        let rowBytes = lanes * MemoryLayout<Float>.stride
        func firstStep(atOrAfter row: Int) -> Int {
            var (low, high) = (block.positions.lowerBound, block.positions.upperBound)
            while low < high {
                let middle = (low + high) / 2
                if rowOffsets.pointer[middle] < row * rowBytes { low = middle + 1 } else { high = middle }
            }
            return low
        }
        return firstStep(atOrAfter: rows.lowerBound)..<firstStep(atOrAfter: rows.upperBound)
    }
}

/// The direct forward's tiles (each over a few output rows: one, two, or the rows a vector of
/// `ShiftedRows` spans) in classes by the kernel rows that read inside the image for any of
/// their rows, each class with its taps (GEMM's (c, ki, kj) order, the kernel rows outside left
/// out) and the weights packed for them. With LeNet's input gradient (5×5, padding 4 on 10²
/// planes) a third of the kernel rows are left out.
///
/// A class's sum is split into blocks where the sum over every tap is split (at multiples of
/// `gemmKC`), so that its result is the same, bit for bit.
struct RowClasses {
    struct Class {
        /// Per step: where its tap is in a padded image.
        let offsets: IntBuffer
        /// The steps in blocks, each summed in registers, then added to the blocks before.
        let blocks: [Range<Int>]
        /// The weights of the class's taps, packed in its blocks.
        let weights: Kernels.PackedMatrix
    }

    let classes: [Class]
    /// The class of each tile.
    let classOfTile: [Int]

    /// `tileRows`: the output rows of each tile; `tapOffsets`: where each tap (c, ki, kj) is in
    /// the image the tiles read (a padded image's `tapOffsets`, or `ShiftedRows`').
    init(_ layout: PaddedImages, tileRows: [Range<Int>], tapOffsets: UnsafePointer<Int>, weight: UnsafePointer<Float>) {
        let g = layout.geometry
        let (k, o) = (g.window.size, g.outChannels)
        let rowRanges = layout.kernelRangesInside().rows
        let tileRanges = tileRows.map { outputRows in
            rowRanges[outputRows].reduce(0..<0) { union, rows in
                union.isEmpty ? rows : rows.isEmpty ? union : min(union.lowerBound, rows.lowerBound)..<max(union.upperBound, rows.upperBound)
            }
        }
        let rowClasses = distinct(tileRanges)
        classOfTile = tileRanges.map { rowClasses.firstIndex(of: $0)! }
        classes = rowClasses.map { rows in
            let taps = (0..<g.input.c).flatMap { c in rows.flatMap { ki in (0..<k).map { kj in (c * k + ki) * k + kj } } }
            let offsets = IntBuffer(count: taps.count)
            for (q, t) in taps.enumerated() { offsets.pointer[q] = tapOffsets[t] }
            var blocks: [Range<Int>] = []
            for q in taps.indices where q == 0 || taps[q] / Kernels.gemmKC != taps[q - 1] / Kernels.gemmKC {
                if let last = blocks.popLast() { blocks.append(last.lowerBound..<q) }
                blocks.append(q..<taps.count)
            }
            let gathered = Storage(uninitializedCount: max(1, o * taps.count))
            for oc in 0..<o {
                for (q, t) in taps.enumerated() { gathered.pointer[oc * taps.count + q] = weight[oc * g.patch + t] }
            }
            let weights = Kernels.PackedMatrix(transposed: false, rows: o, columns: taps.count, gathered.pointer, ld: taps.count,
                                               blocks: blocks)
            withExtendedLifetime(gathered) {}
            return Class(offsets: offsets, blocks: blocks, weights: weights)
        }
    }
}

/// The different ranges among `ranges`, in order.
private func distinct(_ ranges: [Range<Int>]) -> [Range<Int>] {
    Array(Set(ranges)).sorted { ($0.lowerBound, $0.upperBound) < ($1.lowerBound, $1.upperBound) }
}

extension PaddedImages {
    /// For each output row, the kernel rows whose taps read inside the image rather than its zero
    /// border; and the same for each output column.
    func kernelRangesInside() -> (rows: [Range<Int>], columns: [Range<Int>]) {
        let (k, s, p) = (geometry.window.size, geometry.window.stride, geometry.window.padding)
        func inside(_ output: Int, _ inputs: Int) -> Range<Int> {
            let first = max(0, p - output * s), end = min(k, inputs + p - output * s)
            return first..<max(first, end)
        }
        return ((0..<outputHeight).map { inside($0, inputHeight) }, (0..<outputWidth).map { inside($0, inputWidth) })
    }
}

extension PositionClasses {
    /// The input gradient of a convolution with any stride as classes of dx's positions, one
    /// image at a time, read from dy in place (no padded copy):
    ///
    ///     dx[c, iy, ix] = Σ over o, ki, kj of dy[o, oy, ox] · w[o, c, ki, kj],  iy = oy·s + ki − p
    ///
    /// so a dx row takes only the kernel rows ki ≡ iy + p (mod s), one in s (its phase), and of
    /// those only the ones whose oy = (iy + p − ki) / s is a row of dy; the same for columns. The
    /// positions whose rows and columns take the same kernel rows and columns form a class,
    /// whose steps are those taps for every o: 1, 2, 2 and 4 of 9 for a 3×3 kernel with stride
    /// 2, inside the plane. A position's `start` is dy's (iy + p) / s, (ix + p) / s; a tap
    /// (ki, kj, o) is o planes on and ki / s rows and kj / s columns back from it, and its
    /// weight row is (ki, kj, o) in the packed (tap, `lanes` channels of c) matrix: a class
    /// steps through runs of O rows side by side. Taps outside dy are never summed, so their
    /// (out of range) addresses are never read. Phases never share a class, so no class mixes
    /// positions with other taps than their own.
    init(inputGradientOf g: ConvGeometry, width: Int, lanes: Int) {
        let (k, s, p) = (g.window.size, g.window.stride, g.window.padding)
        let (oh, ow, o) = (g.outputHeight, g.outputWidth, g.outChannels)
        // For each dx row (column): where its taps count from in dy, and its kernel rows inside.
        func taps(_ i: Int, outputs: Int) -> (anchor: Int, kernel: [Int]) {
            let anchor = (i + p) / s
            return (anchor, stride(from: (i + p) % s, to: k, by: s).filter { (0..<outputs).contains(anchor - $0 / s) })
        }
        let rows = (0..<g.input.h).map { taps($0, outputs: oh) }, columns = (0..<g.input.w).map { taps($0, outputs: ow) }
        func distinct(_ sets: [[Int]]) -> [[Int]] { Array(Set(sets)).sorted { $0.lexicographicallyPrecedes($1) } }
        var chosen: [(rows: [Int], columns: [Int], positions: [Int])] = []
        for rowTaps in distinct(rows.map(\.kernel)) {
            for columnTaps in distinct(columns.map(\.kernel)) {
                var positions: [Int] = []
                for iy in 0..<g.input.h where rows[iy].kernel == rowTaps {
                    for ix in 0..<g.input.w where columns[ix].kernel == columnTaps { positions.append(iy * g.input.w + ix) }
                }
                if !positions.isEmpty { chosen.append((rowTaps, columnTaps, positions)) }
            }
        }
        images = 1
        let tapCount = chosen.reduce(0) { $0 + o * $1.rows.count * $1.columns.count }
        let positionCount = chosen.reduce(0) { $0 + ($1.positions.count + width - 1) / width * width }
        (tapOffsets, tapRows) = (IntBuffer(count: tapCount), IntBuffer(count: tapCount))
        (starts, targets) = (IntBuffer(count: positionCount), IntBuffer(count: positionCount))
        imageCounts = IntBuffer(count: chosen.count * 2)
        plane = g.input.plane
        staged = plane * lanes * MemoryLayout<Float>.stride <= 1 << 20
        var classes: [Class] = []
        var (tap, position) = (0, 0)
        for (index, part) in chosen.enumerated() {
            let firstTap = tap, firstPosition = position
            for ki in part.rows {
                for kj in part.columns {
                    for channel in 0..<o {
                        tapOffsets.pointer[tap] = channel * oh * ow - ki / s * ow - kj / s
                        tapRows.pointer[tap] = ((ki * k + kj) * o + channel) * lanes * MemoryLayout<Float>.stride
                        tap += 1
                    }
                }
            }
            for q in part.positions {
                let (iy, ix) = q.quotientAndRemainder(dividingBy: g.input.w)
                (starts.pointer[position], targets.pointer[position]) = (rows[iy].anchor * ow + columns[ix].anchor, q)
                position += 1
            }
            (imageCounts.pointer[2 * index], imageCounts.pointer[2 * index + 1]) = (0, part.positions.count)
            while (position - firstPosition) % width != 0 {
                (starts.pointer[position], targets.pointer[position]) = (starts.pointer[firstPosition], targets.pointer[firstPosition])
                position += 1
            }
            classes.append(Class(taps: firstTap..<tap, positions: firstPosition..<position, counts: 2 * index))
        }
        self.classes = classes
    }
}
