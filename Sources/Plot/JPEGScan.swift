/// One scan of a sequential JPEG (an SOS segment and the entropy-coded data after it): the
/// blocks of one component, or of several interleaved MCU by MCU (T.81 annex F.2).
///
/// Each block is 64 coefficients in zigzag order, from the lowest frequency to the highest:
/// - the DC coefficient (the block's mean), coded as its difference from the previous block's of
///   the same component: a Huffman-coded size s, then s bits of the value;
/// - the 63 AC coefficients, mostly zero, coded as Huffman-coded (run of zeros, size) pairs each
///   followed by the value's bits, ending early with "end of block" when only zeros are left.
///
/// Every `restartInterval` MCUs the coder starts afresh after a restart marker (RST0 to RST7 in
/// turn), with the DC differences from zero, so that damage stays within one interval.
struct JPEGScan {
    /// One of the scan's components, with what decoding its blocks needs.
    struct Member {
        /// Its index in the frame's components.
        var component: Int
        var dcTable: JPEGHuffmanTable
        var acTable: JPEGHuffmanTable
        /// The quantization step of each coefficient, in zigzag order.
        var quantization: [Float]
    }

    var members: [Member]
    var restartInterval: Int
    /// The file's name, for messages.
    var file: String

    /// The natural (row-major) index of the k-th coefficient in zigzag order (T.81 figure A.6).
    static let zigzag: [Int] = [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ]

    /// Decodes the data that starts at `start` in `bytes` into `frame`'s samples; returns where
    /// the data ends (at the next marker, or the end of the file).
    func decode(_ bytes: [UInt8], from start: Int, into frame: inout JPEGFrame) throws -> Int {
        var bits = JPEGBitReader(bytes, from: start)
        var predictions = [Int](repeating: 0, count: members.count)
        var restartsDone = 0, unitsSinceRestart = 0
        let inverseDCT = JPEGInverseDCT()
        // What each block reads, in memory of its own: a debug build reads an array's elements
        // through calls and reference counting, which would cost more than the decoding.
        let workspace = BlockWorkspace(members)
        defer { workspace.deallocate() }

        /// At each interval's end: the data must have lasted, and the next marker must be the next RSTn.
        func restartIfDue() throws {
            guard restartInterval > 0 else { return }
            if unitsSinceRestart == restartInterval {
                try checkNotOverrun(bits)
                let expected = 0xD0 + UInt8(restartsDone % 8)
                let marker = bits.moveToMarker()
                guard let marker else { throw cutShort() }
                guard marker == expected else {
                    throw corrupt("found marker \(JPEGDecoder.hex(marker)) where restart marker \(JPEGDecoder.hex(expected)) was due")
                }
                bits.skipMarker()
                restartsDone += 1
                unitsSinceRestart = 0
                for i in predictions.indices { predictions[i] = 0 }
            }
            unitsSinceRestart += 1
        }

        let components = frame.components, mcusAcross = frame.mcusAcross, mcusDown = frame.mcusDown
        do {
            try frame.samples.withUnsafeMutableBufferPointer { samples in
                let samples = samples.baseAddress!
                /// Decodes the block at block column `x`, block row `y` of member `m`'s component.
                func decodeBlock(_ m: Int, x: Int, y: Int) throws {
                    let c = components[members[m].component]
                    try decodeCoefficients(m, workspace, prediction: &predictions[m], from: &bits)
                    inverseDCT.transform(workspace.coefficients, into: samples + c.offset + (y * c.stride + x) * 8, stride: c.stride)
                }

                if members.count == 1 {
                    // One component alone: its blocks row by row, as many as its size needs.
                    let c = components[members[0].component]
                    for y in 0..<JPEGFrame.divideRoundingUp(c.height, 8) {
                        for x in 0..<JPEGFrame.divideRoundingUp(c.width, 8) {
                            try restartIfDue()
                            try decodeBlock(0, x: x, y: y)
                        }
                        try checkNotOverrun(bits)
                    }
                } else {
                    // Interleaved: MCU by MCU, in each the blocks of each component, H × V of them.
                    for mcuY in 0..<mcusDown {
                        for mcuX in 0..<mcusAcross {
                            try restartIfDue()
                            for m in members.indices {
                                let c = components[members[m].component]
                                for v in 0..<c.verticalSampling {
                                    for h in 0..<c.horizontalSampling {
                                        try decodeBlock(m, x: mcuX * c.horizontalSampling + h, y: mcuY * c.verticalSampling + v)
                                    }
                                }
                            }
                        }
                        try checkNotOverrun(bits)
                    }
                }
            }
        } catch {
            // Bits invented past the data can decode as nonsense: say what really went wrong.
            try checkNotOverrun(bits)
            throw error
        }
        return bits.position
    }

    /// What decoding a block reads and writes, in memory of its own.
    struct BlockWorkspace {
        /// The block's coefficients in natural order, zero between blocks.
        let coefficients = UnsafeMutablePointer<Float>.allocate(capacity: 64)
        let zigzag = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        /// Each member's quantization steps (64 apart) and Huffman tables.
        let quantization: UnsafeMutablePointer<Float>
        let dcTables: [JPEGHuffmanTable], acTables: [JPEGHuffmanTable]

        init(_ members: [Member]) {
            coefficients.initialize(repeating: 0, count: 64)
            zigzag.initialize(from: JPEGScan.zigzag, count: 64)
            quantization = .allocate(capacity: 64 * members.count)
            quantization.initialize(from: members.flatMap(\.quantization), count: 64 * members.count)
            (dcTables, acTables) = (members.map(\.dcTable), members.map(\.acTable))
        }

        func deallocate() {
            coefficients.deallocate()
            zigzag.deallocate()
            quantization.deallocate()
        }
    }

    /// One block of member `m`: its 64 coefficients, dequantized, into the workspace's
    /// coefficients in natural order.
    private func decodeCoefficients(_ m: Int, _ workspace: BlockWorkspace, prediction: inout Int,
                                    from bits: inout JPEGBitReader) throws {
        let (dcTable, acTable) = (workspace.dcTables[m], workspace.acTables[m])
        let (quantization, zigzag, coefficients) = (workspace.quantization + 64 * m, workspace.zigzag, workspace.coefficients)
        guard let dcSize = dcTable.decode(&bits) else { throw corrupt("a DC coefficient's code is not in its Huffman table") }
        prediction += Self.extend(bits.read(Int(dcSize)), size: Int(dcSize))
        coefficients[0] = Float(prediction) * quantization[0]
        var k = 1
        while k < 64 {
            guard let runAndSize = acTable.decode(&bits) else {
                throw corrupt("an AC coefficient's code is not in its Huffman table")
            }
            let run = Int(runAndSize >> 4), size = Int(runAndSize & 15)
            if size == 0 {
                guard run == 15 else { break }  // end of block: the rest are zero
                k += 16  // sixteen zeros
                continue
            }
            k += run
            guard k < 64 else { throw corrupt("a block has more than 64 coefficients") }
            coefficients[zigzag[k]] = Float(Self.extend(bits.read(size), size: size)) * quantization[k]
            k += 1
        }
    }

    /// A value stored in `size` bits (F.2.2.1): the upper half of the codes are themselves, the
    /// lower half the negatives, so that size s holds ±2^(s−1) ... ±(2^s − 1).
    static func extend(_ bits: Int, size: Int) -> Int {
        size > 0 && bits < 1 << (size - 1) ? bits - (1 << size) + 1 : bits
    }

    private func checkNotOverrun(_ bits: JPEGBitReader) throws {
        if bits.ranPastTheData { throw bits.reachedTheEndOfTheFile ? cutShort() : corrupt("its compressed data ends before its picture does") }
    }

    private func cutShort() -> ImageFileError { JPEGDecoder.cutShort(file, inside: "its compressed picture data") }
    private func corrupt(_ detail: String) -> ImageFileError { JPEGDecoder.corrupt(file, detail) }
}
