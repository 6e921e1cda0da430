/// One Huffman table of a JPEG (a DHT segment's table; T.81 annex C): the codes are not stored,
/// only how many codes there are of each length 1 to 16 and the symbols in code order, from which
/// the codes follow ("canonical" codes: each is the previous plus one, doubled at each new length).
///
/// Decoding looks the next `lookupBits` bits up in a table, which finds most codes in one step;
/// a longer code is found as annex F.2.2.3 does, one length at a time, by comparing the bits with
/// the largest code of that length.
///
/// A class that owns its tables' memory, so that a debug build, which inlines nothing, reads them
/// without an array's checks and reference counting on every symbol.
final class JPEGHuffmanTable {
    static let lookupBits = 9

    /// For each value of the next `lookupBits` bits: the code's length (high byte) and symbol
    /// (low byte), or 0 where the code is longer.
    private let lookup = UnsafeMutablePointer<UInt16>.allocate(capacity: 1 << lookupBits)
    /// For each length 1...16: the largest code of that length, or -1 if there is none.
    private let largestCode = UnsafeMutablePointer<Int>.allocate(capacity: 17)
    /// For each length: where that length's symbols start in `symbols`, less its first code.
    private let symbolOffset = UnsafeMutablePointer<Int>.allocate(capacity: 17)
    private let symbols = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)

    /// Builds the table from `counts[l - 1]` codes of each length l and the symbols in code order;
    /// nil if the counts ask for more codes of some length than that length has.
    init?(counts: [Int], symbols: [UInt8]) {
        precondition(counts.count == 16 && counts.reduce(0, +) == symbols.count && symbols.count <= 256)
        lookup.initialize(repeating: 0, count: 1 << Self.lookupBits)
        largestCode.initialize(repeating: -1, count: 17)
        symbolOffset.initialize(repeating: 0, count: 17)
        self.symbols.initialize(repeating: 0, count: 256)
        for (i, symbol) in symbols.enumerated() { self.symbols[i] = symbol }
        var code = 0, index = 0
        for length in 1...16 {
            let count = counts[length - 1]
            if count > 0 {
                symbolOffset[length] = index - code
                largestCode[length] = code + count - 1
            }
            for _ in 0..<count {
                guard code < 1 << length else { return nil }
                if length <= Self.lookupBits {
                    // Every bit pattern that starts with this code.
                    let spare = Self.lookupBits - length
                    for rest in 0..<(1 << spare) {
                        lookup[code << spare | rest] = UInt16(length << 8) | UInt16(symbols[index])
                    }
                }
                code += 1
                index += 1
            }
            code <<= 1
        }
    }

    deinit {
        lookup.deallocate()
        largestCode.deallocate()
        symbolOffset.deallocate()
        symbols.deallocate()
    }

    /// The next symbol in `bits`, or nil if the bits are no code of this table.
    func decode(_ bits: inout JPEGBitReader) -> UInt8? {
        let next16 = bits.peek(16)
        let entry = lookup[next16 >> (16 - Self.lookupBits)]
        if entry != 0 {
            bits.skip(Int(entry >> 8))
            return UInt8(truncatingIfNeeded: entry)
        }
        for length in (Self.lookupBits + 1)...16 {
            let code = next16 >> (16 - length)
            if code <= largestCode[length] {
                bits.skip(length)
                return symbols[code + symbolOffset[length]]
            }
        }
        return nil
    }
}
