/// The bits of a JPEG's entropy-coded data, most significant bit first (T.81 F.2.2.5).
///
/// In that data a byte FF is always followed by 00, which is not data ("byte stuffing"); FF
/// followed by anything else is a marker, which ends the data: a restart marker, or the next
/// segment. At a marker or the end of the file the reader goes on giving zero bits, so that
/// decoding needs no check per bit, and counts them: a decoder that used any has run past the
/// data, which means the file is cut short or corrupt.
struct JPEGBitReader {
    private let bytes: [UInt8]
    /// The next byte to read into `buffer`.
    private(set) var position: Int
    /// The next bits, from the most significant end; `count` of them are filled.
    private var buffer: UInt64 = 0
    private var count = 0
    /// How many of the bits put into `buffer` were invented past the end of the data.
    private var invented = 0

    init(_ bytes: [UInt8], from position: Int) {
        (self.bytes, self.position) = (bytes, position)
    }

    /// Whether decoding has used bits that the data does not have.
    var ranPastTheData: Bool { invented > count }

    /// Whether the data ended at the end of the file (rather than at a marker).
    var reachedTheEndOfTheFile: Bool { position >= bytes.count - 1 }

    /// The next `n` bits (1...16) as a number, without using them.
    mutating func peek(_ n: Int) -> Int {
        if count < n { fill() }
        return Int(truncatingIfNeeded: buffer >> (64 - n))
    }

    mutating func skip(_ n: Int) {
        buffer <<= n
        count -= n
    }

    /// The next `n` bits (0...16) as a number.
    mutating func read(_ n: Int) -> Int {
        guard n > 0 else { return 0 }
        let value = peek(n)
        skip(n)
        return value
    }

    /// Tops the buffer up to at least 57 bits.
    private mutating func fill() {
        while count <= 56 {
            var byte: UInt8 = 0
            if position < bytes.count && bytes[position] != 0xFF {
                byte = bytes[position]
                position += 1
            } else if position + 1 < bytes.count && bytes[position + 1] == 0x00 {
                byte = 0xFF
                position += 2
            } else {
                invented += 8
            }
            buffer |= UInt64(byte) << (56 - count)
            count += 8
        }
    }

    /// Drops the bits left in the buffer (the padding before a marker) and moves to the next
    /// marker, whose second byte it returns; nil at the end of the file. Bytes that are not a
    /// marker are skipped, as libjpeg does.
    mutating func moveToMarker() -> UInt8? {
        (buffer, count, invented) = (0, 0, 0)
        while position + 1 < bytes.count {
            if bytes[position] == 0xFF && bytes[position + 1] != 0x00 && bytes[position + 1] != 0xFF {
                return bytes[position + 1]
            }
            position += 1
        }
        position = bytes.count
        return nil
    }

    /// Steps over the marker found by `moveToMarker`.
    mutating func skipMarker() { position += 2 }
}
