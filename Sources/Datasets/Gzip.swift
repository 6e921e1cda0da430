import CZlib
import Foundation

/// Decompression of gzip files through zlib.
enum Gzip {
    /// Whether `data` starts with the gzip magic number.
    static func isCompressed(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b
    }

    /// The decompressed contents of a gzip file (all members, if several were concatenated).
    /// Refuses to produce more than `limit` bytes, so a hostile file cannot exhaust memory.
    static func decompress(_ data: Data, file: String, limit: Int = 1 << 30) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 16: a 32 KiB window, and expect a gzip header and trailer.
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError(file: file, problem: "zlib could not start")
        }
        defer { inflateEnd(&stream) }

        var output = [UInt8]()
        output.reserveCapacity(min(limit, data.count * 4))
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(input.count)
            while true {
                let status = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                guard output.count + produced <= limit else {
                    throw DatasetError(file: file, problem: "decompresses to more than \(limit >> 20) MiB; not a data file this program expects")
                }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_STREAM_END:
                    // Another gzip member may follow; anything else after the end is an error.
                    guard stream.avail_in > 0 else { return }
                    guard stream.next_in[0] == 0x1f && stream.avail_in >= 2 && stream.next_in[1] == 0x8b else {
                        throw DatasetError(file: file, problem: "has \(stream.avail_in) unexpected bytes after the end of the compressed data")
                    }
                    inflateReset(&stream)
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw DatasetError(file: file, problem: "is truncated: the compressed data ends early (after \(output.count) bytes)",
                                       hint: "Download or install the file again.")
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                    throw DatasetError(file: file, problem: "is not valid gzip data (\(message))",
                                       hint: "Download or install the file again.")
                }
            }
        }
        return output
    }
}
