import Foundation

/// A plain TCP client to the class server on loopback, for the tests: HTTP requests with their
/// status and body, and WebSocket followers that read the server's frames (or do not read).
final class RawClient {
    let fd: Int32

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(fd) }

    func send(_ text: String) { _ = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }

    /// Up to `count` bytes, waiting at most `timeout` seconds for the first; nil at the end.
    func receive(_ count: Int = 65536, timeout: Double = 20) -> [UInt8]? {
        var request = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&request, 1, Int32(timeout * 1000)) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: count)
        let n = recv(fd, &buffer, count, 0)
        return n > 0 ? Array(buffer[0..<n]) : nil
    }

    /// Exactly `count` bytes, or nil.
    func receiveExactly(_ count: Int, timeout: Double = 20) -> [UInt8]? {
        var bytes: [UInt8] = []
        while bytes.count < count {
            guard let more = receive(count - bytes.count, timeout: timeout), !more.isEmpty else { return nil }
            bytes += more
        }
        return bytes
    }

    /// One request, to the end of its response (the connection closes after it).
    static func request(_ method: String, _ path: String, port: UInt16, headers: [String: String] = [:],
                        body: String = "") throws -> (status: Int, body: Data) {
        let client = try RawClient(port: port)
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        client.send(text + "\r\n" + body)
        var response: [UInt8] = []
        // Patient: in the test process, tests beside these can keep Swift's shared pool, whose
        // tasks serve the connection, busy for tens of seconds (a lesson has no such neighbours).
        while let more = client.receive(timeout: 120), !more.isEmpty { response += more }
        let raw = Data(response)
        guard let end = raw.range(of: Data("\r\n\r\n".utf8)) else { return (0, raw) }
        let status = Int(String(decoding: raw[..<end.lowerBound], as: UTF8.self).split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, Data(raw[end.upperBound...]))
    }

    /// A follower of the live feed: the WebSocket handshake done.
    static func follower(port: UInt16) throws -> RawClient {
        let client = try RawClient(port: port)
        client.send("GET /follow HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        var header: [UInt8] = []
        while !header.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)) {
            guard let byte = client.receiveExactly(1) else { throw POSIXError(.EPROTO) }
            header += byte
        }
        guard String(decoding: header, as: UTF8.self).hasPrefix("HTTP/1.1 101") else { throw POSIXError(.EPROTO) }
        return client
    }

    /// The next text message (its frames joined; the server's frames are not masked), or nil.
    func nextMessage(timeout: Double = 5) -> String? {
        var text = ""
        while true {
            guard let (fin, opcode, payload) = nextFrame(timeout: timeout) else { return nil }
            if opcode == 1 || opcode == 0 { text += String(decoding: payload, as: UTF8.self) }
            if fin && (opcode == 1 || opcode == 0) { return text }
        }
    }

    /// One frame: whether it ends its message, its opcode and its payload.
    func nextFrame(timeout: Double) -> (Bool, UInt8, [UInt8])? {
        guard let start = receiveExactly(2, timeout: timeout) else { return nil }
        var length = Int(start[1] & 0x7F)
        if length == 126 {
            guard let b = receiveExactly(2) else { return nil }
            length = Int(b[0]) << 8 | Int(b[1])
        } else if length == 127 {
            guard let b = receiveExactly(8) else { return nil }
            length = b.reduce(0) { $0 << 8 | Int($1) }
        }
        guard let payload = receiveExactly(length, timeout: timeout) else { return nil }
        return (start[0] & 0x80 != 0, start[0] & 0x0F, payload)
    }

    /// Messages until one satisfies `done`, within `timeout` seconds in all.
    func waitForMessage(timeout: Double = 5, until done: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard let message = nextMessage(timeout: deadline.timeIntervalSinceNow) else { return nil }
            if done(message) { return message }
        }
        return nil
    }
}
