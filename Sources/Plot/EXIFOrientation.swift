/// How a camera says its picture is to be turned to stand upright: the EXIF tag Orientation
/// (0x0112). A phone stores the pixels as the sensor read them and records which way it was
/// held, so a photo taken upright in portrait is stored lying on its side, with orientation 6.
///
/// The names say what is done to the stored pixels to show them upright.
public enum EXIFOrientation: Int, Sendable, CaseIterable {
    case upright = 1
    case mirror = 2
    case rotate180 = 3
    case flip = 4                  // mirrored top to bottom
    case transpose = 5             // mirrored across the diagonal from the top left
    case rotate90Clockwise = 6
    case transverse = 7            // mirrored across the diagonal from the top right
    case rotate90CounterClockwise = 8

    /// Reads the orientation from the TIFF structure that an APP1 "Exif" segment holds after its
    /// six-byte name: a byte order ("II" little-endian, "MM" big-endian), 42, the offset of the
    /// first directory, then that directory: a count and 12-byte entries (tag, type, count,
    /// value). Nil if there is no valid orientation: a picture with broken metadata is shown as
    /// stored.
    init?(tiff: ArraySlice<UInt8>) {
        let tiff = Array(tiff)
        guard tiff.count >= 8, tiff[0] == tiff[1], tiff[0] == UInt8(ascii: "I") || tiff[0] == UInt8(ascii: "M") else { return nil }
        let littleEndian = tiff[0] == UInt8(ascii: "I")
        func number(at offset: Int, bytes: Int) -> Int? {
            guard offset >= 0, offset + bytes <= tiff.count else { return nil }
            let field = tiff[offset..<(offset + bytes)]
            return (littleEndian ? field.reversed() : Array(field)).reduce(0) { $0 << 8 | Int($1) }
        }
        guard number(at: 2, bytes: 2) == 42, let directory = number(at: 4, bytes: 4),
              let entries = number(at: directory, bytes: 2) else { return nil }
        for i in 0..<entries {
            let entry = directory + 2 + 12 * i
            guard let tag = number(at: entry, bytes: 2) else { return nil }
            // Type 3 is SHORT: the value is the first two bytes of the value field.
            if tag == 0x0112 {
                guard number(at: entry + 2, bytes: 2) == 3, let value = number(at: entry + 8, bytes: 2) else { return nil }
                self.init(rawValue: value)
                return
            }
        }
        return nil
    }

    /// Whether the upright picture's width is the stored height.
    public var swapsWidthAndHeight: Bool { rawValue >= 5 }

    /// `rgba` (width × height pixels, 4 bytes each) turned upright; the new width and height.
    public func apply(to rgba: [UInt8], width: Int, height: Int) -> (rgba: [UInt8], width: Int, height: Int) {
        guard self != .upright else { return (rgba, width, height) }
        // The stored pixel that lands at the upright picture's top left, and how the stored index
        // moves for a step right and a step down in the upright picture.
        let last = width * height - 1, lastRow = (height - 1) * width
        let (origin, right, down): (Int, Int, Int) = switch self {
        case .upright: (0, 1, width)
        case .mirror: (width - 1, -1, width)
        case .rotate180: (last, -1, -width)
        case .flip: (lastRow, 1, -width)
        case .transpose: (0, width, 1)
        case .rotate90Clockwise: (lastRow, -width, 1)
        case .transverse: (last, -width, -1)
        case .rotate90CounterClockwise: (width - 1, width, -1)
        }
        let (uprightWidth, uprightHeight) = swapsWidthAndHeight ? (height, width) : (width, height)
        var turned = [UInt8](repeating: 0, count: rgba.count)
        // A pixel's four bytes moved as one UInt32.
        rgba.withUnsafeBufferPointer { $0.withMemoryRebound(to: UInt32.self) { stored in
            turned.withUnsafeMutableBufferPointer { $0.withMemoryRebound(to: UInt32.self) { turned in
                let (source, target) = (stored.baseAddress!, turned.baseAddress!)
                for y in 0..<uprightHeight {
                    var index = origin + y * down
                    for x in 0..<uprightWidth {
                        target[y * uprightWidth + x] = source[index]
                        index += right
                    }
                }
            } }
        } }
        return (turned, uprightWidth, uprightHeight)
    }
}
