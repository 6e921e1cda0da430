/// A JPEG's frame (its SOF segment): the picture's size and its components (Y, Cb and Cr, or
/// one gray), each stored at its own resolution as a grid of 8×8 blocks (T.81 A.1).
///
/// The blocks are coded a few at a time, in MCUs ("minimum coded units"): an MCU covers
/// 8·Hmax × 8·Vmax pixels and holds H × V blocks of each component with sampling factors H, V.
/// With Y at 2×2 and Cb, Cr at 1×1 ("4:2:0"), an MCU is 16×16 pixels: four Y blocks, one Cb
/// block and one Cr block, the chroma at half the resolution both ways.
struct JPEGFrame {
    struct Component {
        var id: UInt8
        var horizontalSampling: Int
        var verticalSampling: Int
        var quantizationTable: Int
        /// Its size in samples: the picture's, scaled by its sampling factors over the largest.
        var width = 0, height = 0
        /// The blocks stored: whole MCUs, so up to an MCU more than `width` and `height` need.
        var blocksAcross = 0, blocksDown = 0
        /// Where its samples start in the frame's `samples`, in rows `stride` apart.
        var offset = 0
        var stride: Int { blocksAcross * 8 }
    }

    var width: Int
    var height: Int
    var components: [Component]
    var maxHorizontalSampling: Int
    var maxVerticalSampling: Int
    var mcusAcross: Int
    var mcusDown: Int
    /// Every component's samples, one after another; empty until the first scan.
    var samples: [UInt8] = []

    init(width: Int, height: Int, components: [Component]) {
        let maxH = components.map(\.horizontalSampling).max()!, maxV = components.map(\.verticalSampling).max()!
        let mcusAcross = Self.divideRoundingUp(width, 8 * maxH), mcusDown = Self.divideRoundingUp(height, 8 * maxV)
        var offset = 0
        self.components = components.map { component in
            var c = component
            c.width = Self.divideRoundingUp(width * c.horizontalSampling, maxH)
            c.height = Self.divideRoundingUp(height * c.verticalSampling, maxV)
            c.blocksAcross = mcusAcross * c.horizontalSampling
            c.blocksDown = mcusDown * c.verticalSampling
            c.offset = offset
            offset += c.blocksAcross * c.blocksDown * 64
            return c
        }
        (self.width, self.height, maxHorizontalSampling, maxVerticalSampling) = (width, height, maxH, maxV)
        (self.mcusAcross, self.mcusDown) = (mcusAcross, mcusDown)
    }

    /// How many bytes `samples` takes.
    var sampleCount: Int { components.reduce(0) { $0 + $1.blocksAcross * $1.blocksDown * 64 } }

    /// The fewest blocks a file can code for this frame: one scan per component, each covering
    /// only the blocks that its size needs.
    var fewestCodedBlocks: Int {
        components.reduce(0) { $0 + Self.divideRoundingUp($1.width, 8) * Self.divideRoundingUp($1.height, 8) }
    }

    static func divideRoundingUp(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }
}
