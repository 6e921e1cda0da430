/// Reads a JPEG file segment by segment (T.81 annex B): after the start-of-image marker FF D8,
/// each segment is a marker FF xx and, for most, a two-byte length and a payload. The tables
/// (DQT, DHT) and the frame (SOF) come first; each scan (SOS) is followed by its entropy-coded
/// data; FF D9 ends the image. The segments a decoder has no use for (comments, most APPn) are
/// skipped by their length.
struct JPEGDecoder {
    /// What a decoded file holds: its frame with every component's samples, how to read the
    /// components as colour, and how to turn the picture upright.
    struct Decoded {
        var frame: JPEGFrame
        var colorModel: JPEGColorModel
        var orientation: EXIFOrientation
    }

    /// The largest picture decoded: 16384 pixels a side and 100 megapixels, about 400 MB as RGBA.
    static let largestSide = 16384
    static let largestPixelCount = 100_000_000

    private let bytes: [UInt8]
    private let file: String
    private var position = 0
    private var quantizationTables = [[Float]?](repeating: nil, count: 4)
    private var dcTables = [JPEGHuffmanTable?](repeating: nil, count: 4)
    private var acTables = [JPEGHuffmanTable?](repeating: nil, count: 4)
    private var frame: JPEGFrame?
    private var scannedComponents = Set<Int>()
    private var restartInterval = 0
    private var sawJFIF = false
    private var adobeTransform: Int?
    private var orientation: EXIFOrientation?

    init(_ bytes: [UInt8], file: String) { (self.bytes, self.file) = (bytes, file) }

    mutating func decode() throws -> Decoded {
        guard bytes.starts(with: [0xFF, 0xD8]) else { throw Self.corrupt(file, "it does not start with FF D8, a JPEG's first marker") }
        position = 2
        markers: while true {
            guard let marker = nextMarker() else {
                // A file whose end-of-image marker is lost is still whole if every component came.
                if let frame, scannedComponents.count == frame.components.count { break markers }
                throw Self.cutShort(file, inside: frame == nil ? "its headers" : "its compressed picture data")
            }
            switch marker {
            case 0xD9: break markers
            case 0xC0, 0xC1: try readFrame(try segment(marker))
            case 0xC2, 0xC6, 0xCA, 0xCE: throw unsupported("a progressive JPEG")
            case 0xC3, 0xC7, 0xCB, 0xCF: throw unsupported("a lossless JPEG")
            case 0xC5, 0xCD: throw unsupported("a hierarchical JPEG")
            case 0xC9, 0xCC: throw unsupported("a JPEG with arithmetic coding")
            case 0xC4: try readHuffmanTables(try segment(marker))
            case 0xDB: try readQuantizationTables(try segment(marker))
            case 0xDD: try readRestartInterval(try segment(marker))
            case 0xDA: try readScan(try segment(marker))
            case 0xE0: readJFIF(try segment(marker))
            case 0xE1: readExif(try segment(marker))
            case 0xEE: readAdobe(try segment(marker))
            case 0xD0...0xD7, 0x01: continue  // markers without a segment
            case 0xD8: throw Self.corrupt(file, "a second start-of-image marker appears inside it")
            default: _ = try segment(marker)
            }
        }
        guard let frame else { throw Self.corrupt(file, "it has no frame (SOF) segment") }
        guard scannedComponents.count == frame.components.count else {
            throw Self.corrupt(file, "it ends before every colour component is stored")
        }
        return Decoded(frame: frame, colorModel: colorModel(frame), orientation: orientation ?? .upright)
    }

    // MARK: Segments

    /// The next marker's second byte, with `position` after it; nil at the end of the file.
    /// Bytes that are not a marker are skipped, and so are the FF bytes that may pad a marker.
    private mutating func nextMarker() -> UInt8? {
        while position + 1 < bytes.count {
            let (first, second) = (bytes[position], bytes[position + 1])
            position += 1
            if first == 0xFF && second != 0xFF && second != 0x00 {
                position += 1
                return second
            }
        }
        position = bytes.count
        return nil
    }

    /// The payload of the segment whose marker was just read; `position` moves past it.
    private mutating func segment(_ marker: UInt8) throws -> JPEGSegment {
        let name = Self.segmentName(marker)
        guard position + 2 <= bytes.count else { throw Self.cutShort(file, inside: name) }
        let length = Int(bytes[position]) << 8 | Int(bytes[position + 1])
        guard length >= 2 else { throw Self.corrupt(file, "\(name) has a length of \(length) bytes") }
        guard position + length <= bytes.count else { throw Self.cutShort(file, inside: name) }
        defer { position += length }
        return JPEGSegment(bytes[(position + 2)..<(position + length)], name: name, file: file)
    }

    /// DQT: one or more tables of 64 quantization steps, in zigzag order, 8 or 16 bits each.
    private mutating func readQuantizationTables(_ s: JPEGSegment) throws {
        var s = s
        while !s.isEmpty {
            let (precision, index) = try s.nibbles()
            guard precision <= 1, index <= 3 else { throw s.corrupt("declares table \(index) of precision \(precision)") }
            quantizationTables[index] = try (0..<64).map { _ in Float(precision == 0 ? try s.byte() : try s.uint16()) }
        }
    }

    /// DHT: one or more Huffman tables: class (DC or AC) and number, how many codes of each
    /// length 1...16, then the symbols.
    private mutating func readHuffmanTables(_ s: JPEGSegment) throws {
        var s = s
        while !s.isEmpty {
            let (tableClass, index) = try s.nibbles()
            guard tableClass <= 1, index <= 3 else { throw s.corrupt("declares table \(index) of class \(tableClass)") }
            let counts = try s.bytes(16)
            let total = counts.reduce(0, +)
            guard total <= 256 else { throw s.corrupt("declares \(total) codes in a table, more than 256") }
            let symbols = try s.bytes(total).map(UInt8.init)
            // A DC symbol is a size in bits: a coefficient difference has at most 15.
            if tableClass == 0, let large = symbols.first(where: { $0 > 15 }) {
                throw s.corrupt("holds DC size \(large), more than 15 bits")
            }
            guard let table = JPEGHuffmanTable(counts: counts, symbols: symbols) else {
                throw s.corrupt("declares more codes of some length than there are")
            }
            if tableClass == 0 { dcTables[index] = table } else { acTables[index] = table }
        }
    }

    /// DRI: the number of MCUs between restart markers (0: none).
    private mutating func readRestartInterval(_ s: JPEGSegment) throws {
        var s = s
        restartInterval = try s.uint16()
    }

    /// SOF0 or SOF1: sample precision, height, width, then each component's id, sampling factors
    /// and quantization table.
    private mutating func readFrame(_ s: JPEGSegment) throws {
        var s = s
        guard frame == nil else { throw s.corrupt("is a second frame in one image") }
        let precision = try s.byte(), height = try s.uint16(), width = try s.uint16(), count = try s.byte()
        guard precision == 8 else {
            throw ImageFileError(file: file, problem: "has \(precision)-bit samples; only 8-bit JPEGs are read: save it as PNG or a baseline JPEG")
        }
        guard height > 0 else {
            throw ImageFileError(file: file, problem: "gives its height only after the picture (in a DNL segment), which is not supported; save it as PNG or a baseline JPEG")
        }
        guard width > 0 else { throw s.corrupt("declares a width of 0") }
        guard width <= Self.largestSide, height <= Self.largestSide, width * height <= Self.largestPixelCount else {
            throw ImageFileError(file: file, problem: "is \(width)×\(height) pixels, larger than the \(Self.largestSide) pixels a side "
                                 + "and 100 megapixels read here; make it smaller first")
        }
        switch count {
        case 1, 3: break
        case 4: throw ImageFileError(file: file, problem: "is a CMYK JPEG (4 colour components); save it as RGB, as PNG or a baseline JPEG")
        default: throw ImageFileError(file: file, problem: "has \(count) colour components; only grayscale (1) and colour (3) JPEGs are read")
        }
        var components = [JPEGFrame.Component]()
        for _ in 0..<count {
            let id = UInt8(try s.byte())
            let (horizontal, vertical) = try s.nibbles()
            let table = try s.byte()
            guard (1...4).contains(horizontal), (1...4).contains(vertical) else {
                throw s.corrupt("gives component \(id) sampling factors \(horizontal)×\(vertical); they must be 1 to 4")
            }
            guard table <= 3 else { throw s.corrupt("gives component \(id) quantization table \(table); tables are 0 to 3") }
            guard !components.contains(where: { $0.id == id }) else { throw s.corrupt("declares component \(id) twice") }
            components.append(.init(id: id, horizontalSampling: horizontal, verticalSampling: vertical, quantizationTable: table))
        }
        frame = JPEGFrame(width: width, height: height, components: components)
    }

    /// SOS: the scan's components and their Huffman tables, then the entropy-coded data.
    private mutating func readScan(_ s: JPEGSegment) throws {
        var s = s
        guard var frame else { throw s.corrupt("comes before the frame (SOF) segment") }
        let count = try s.byte()
        guard (1...frame.components.count).contains(count) else { throw s.corrupt("names \(count) components") }
        var members = [JPEGScan.Member]()
        for _ in 0..<count {
            let id = UInt8(try s.byte())
            let (dc, ac) = try s.nibbles()
            guard let component = frame.components.firstIndex(where: { $0.id == id }) else {
                throw s.corrupt("names component \(id), which the frame does not have")
            }
            guard !members.contains(where: { $0.component == component }) else { throw s.corrupt("names component \(id) twice") }
            guard dc <= 3, let dcTable = dcTables[dc], ac <= 3, let acTable = acTables[ac] else {
                throw s.corrupt("uses Huffman tables DC \(dc) and AC \(ac), which are not both defined before it")
            }
            let q = frame.components[component].quantizationTable
            guard let quantization = quantizationTables[q] else {
                throw s.corrupt("needs quantization table \(q), which is not defined before it")
            }
            members.append(.init(component: component, dcTable: dcTable, acTable: acTable, quantization: quantization))
        }
        let (start, end, approximation) = (try s.byte(), try s.byte(), try s.byte())
        guard start == 0, end == 63, approximation == 0 else {
            throw s.corrupt("has spectral selection \(start)...\(end) and approximation \(approximation), not a sequential JPEG's 0...63 and 0")
        }
        let blocksPerMCU = members.reduce(0) { $0 + frame.components[$1.component].horizontalSampling * frame.components[$1.component].verticalSampling }
        guard count == 1 || blocksPerMCU <= 10 else { throw s.corrupt("has \(blocksPerMCU) blocks in an MCU, more than 10") }

        if frame.samples.isEmpty {
            // Each block takes at least two bits (a DC code and an AC code), so a short file
            // cannot claim a huge picture and have the memory for it reserved.
            let available = bytes.count - position
            guard frame.fewestCodedBlocks <= available * 4 else {
                throw ImageFileError(file: file, problem: "is cut short or corrupt: it declares \(frame.width)×\(frame.height) pixels, "
                                     + "which take at least \(frame.fewestCodedBlocks / 4) bytes, but only \(available) follow")
            }
            frame.samples = [UInt8](repeating: 0, count: frame.sampleCount)
        }
        self.frame = nil  // so that `frame` holds the only reference to the samples, which the scan fills in place
        let scan = JPEGScan(members: members, restartInterval: restartInterval, file: file)
        position = try scan.decode(bytes, from: position, into: &frame)
        self.frame = frame
        scannedComponents.formUnion(members.map(\.component))
    }

    /// APP0 "JFIF": the file's components are Y, Cb, Cr.
    private mutating func readJFIF(_ s: JPEGSegment) {
        if s.starts(with: "JFIF\0") { sawJFIF = true }
    }

    /// APP1 "Exif": the camera's metadata, of which only the orientation is used.
    private mutating func readExif(_ s: JPEGSegment) {
        if orientation == nil && s.starts(with: "Exif\0\0") {
            orientation = EXIFOrientation(tiff: s.rest.dropFirst(6))
        }
    }

    /// APP14 "Adobe": byte 11 says whether the three components are YCbCr (1) or RGB (0).
    private mutating func readAdobe(_ s: JPEGSegment) {
        if s.starts(with: "Adobe"), s.rest.count >= 12 { adobeTransform = Int(s.rest[s.rest.startIndex + 11]) }
    }

    /// How to read three components as colour, as libjpeg decides: JFIF means YCbCr; Adobe's
    /// marker says; else the component ids "R", "G", "B" mean RGB, and anything else YCbCr.
    private func colorModel(_ frame: JPEGFrame) -> JPEGColorModel {
        guard frame.components.count == 3 else { return .grayscale }
        if sawJFIF { return .yCbCr }
        if let adobeTransform { return adobeTransform == 0 ? .rgb : .yCbCr }
        return frame.components.map(\.id) == Array("RGB".utf8) ? .rgb : .yCbCr
    }

    // MARK: Messages

    static func segmentName(_ marker: UInt8) -> String {
        switch marker {
        case 0xC0, 0xC1: "its frame header (SOF)"
        case 0xC4: "its Huffman tables (DHT)"
        case 0xDB: "its quantization tables (DQT)"
        case 0xDA: "its scan header (SOS)"
        case 0xDD: "its restart interval (DRI)"
        case 0xE0...0xEF: "its APP\(marker - 0xE0) segment"
        case 0xFE: "its comment (COM)"
        default: "its segment \(hex(marker))"
        }
    }

    static func hex(_ marker: UInt8) -> String {
        "FF " + (marker < 16 ? "0" : "") + String(marker, radix: 16, uppercase: true)
    }

    static func corrupt(_ file: String, _ detail: String) -> ImageFileError {
        ImageFileError(file: file, problem: "is not a valid JPEG: \(detail)")
    }

    static func cutShort(_ file: String, inside part: String) -> ImageFileError {
        ImageFileError(file: file, problem: "is cut short: the file ends inside \(part); copy or download it again")
    }

    private func unsupported(_ kind: String) -> ImageFileError {
        ImageFileError(file: file, problem: "is \(kind); save it as PNG or a baseline JPEG")
    }
}

/// How a JPEG's components make colours.
enum JPEGColorModel {
    case grayscale, yCbCr, rgb
}

/// The payload of one marker segment, read front to back; reading past its end throws.
struct JPEGSegment {
    private(set) var rest: ArraySlice<UInt8>
    let name: String
    let file: String

    init(_ payload: ArraySlice<UInt8>, name: String, file: String) { (rest, self.name, self.file) = (payload, name, file) }

    var isEmpty: Bool { rest.isEmpty }

    func starts(with tag: String) -> Bool { rest.starts(with: tag.utf8) }

    mutating func byte() throws -> Int {
        guard let first = rest.popFirst() else { throw corrupt("is shorter than its contents") }
        return Int(first)
    }

    mutating func bytes(_ count: Int) throws -> [Int] { try (0..<count).map { _ in try byte() } }

    /// A big-endian 16-bit number.
    mutating func uint16() throws -> Int { try byte() << 8 | byte() }

    /// A byte's high and low four bits.
    mutating func nibbles() throws -> (Int, Int) {
        let b = try byte()
        return (b >> 4, b & 15)
    }

    func corrupt(_ detail: String) -> ImageFileError {
        JPEGDecoder.corrupt(file, "\(name) \(detail)")
    }
}
