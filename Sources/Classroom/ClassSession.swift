import Dispatch
import Foundation
import Notebook
import Synchronization

/// A lesson run in class mode: its log also goes to the class page, its pace is the teacher's,
/// and the page is served on `address` while the lesson runs and after, until Ctrl-C.
///
///     let session = try ClassSession(run: run, address: ClassAddress("0.0.0.0:8000"))
///     print(session.teacherURL)      // with the token: the page that drives
///     try run.run()
///     session.lessonEnded()          // the page says so; it stays up until Ctrl-C
public final class ClassSession {
    public let state: ClassState
    public let server: ClassServer
    public let address: ClassAddress
    /// The port it listens on (the one asked for, or the first free one after it).
    public let port: UInt16

    public init(run: LessonRun, address: ClassAddress, interruptRequested: @escaping () -> Bool) throws {
        state = ClassState(lesson: run.lesson.name, title: run.lesson.title, folder: run.directory.path)
        self.address = address
        var lastError: (any Error)?
        var started: (ClassServer, UInt16)?
        // An address given in full must be free; the default port may move up to find a free one.
        for port in address.candidatePorts {
            do {
                let server = try ClassServer(state: state, host: address.host, port: port, language: run.options.language)
                started = (server, try Self.wait { try await server.start() })
                break
            } catch {
                lastError = error
            }
        }
        guard let (server, port) = started else {
            throw ClassAddress.Problem(description: "cannot serve the class page on \(address.host):\(address.candidatePorts.first ?? 0)"
                + (lastError.map { " (\($0))" } ?? "") + ": choose another with --class HOST:PORT")
        }
        (self.server, self.port) = (server, port)
        run.log.add(ClassroomSink(state: state))
        run.pacer = ClassPacer(state: state) { if interruptRequested() { throw Interrupted(signal: Interrupt.shared.signal ?? SIGINT) } }
    }

    /// The teacher's page: it drives, with the token.
    public var teacherURL: String { "http://\(address.displayHost):\(port)/?token=\(server.token)" }

    /// The pages students open: on this machine, or (when the page is served beyond it) at each
    /// of this machine's network addresses.
    public var studentURLs: [String] {
        let hosts = address.host == "0.0.0.0" ? ClassAddress.networkAddresses() : [address.displayHost]
        return (hosts.isEmpty ? [address.displayHost] : hosts).map { "http://\($0):\(port)/" }
    }

    /// The lesson is over: the page says so.
    public func lessonEnded() { state.setFinished() }

    public func stop() {
        let server = server
        _ = try? Self.wait { await server.stop(); return 0 }
    }

    /// Runs async work from the lesson's thread, which waits for it. The work (and the timeouts
    /// inside it) runs on a queue of its own, not Swift's shared pool, which tests side by side
    /// or a busy lesson can keep from it for longer than any timeout.
    static func wait<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<T, any Error>?>(nil)
        Task(executorPreference: ServerExecutor.forWaiting) {
            let outcome: Result<T, any Error>
            do { outcome = .success(try await work()) } catch { outcome = .failure(error) }
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0! }.get()
    }
}

/// Where the class page is served: `--class` alone is this machine only, port 8000 (or the next
/// free one); `--class 0.0.0.0:8000` is every network this machine is on.
public struct ClassAddress: Sendable, Equatable {
    public var host: String
    public var port: UInt16
    /// Whether the port was given (then it is used or refused, never moved).
    public var portGiven: Bool

    public static let loopback = ClassAddress(host: "127.0.0.1", port: 8000, portGiven: false)

    public struct Problem: Error, CustomStringConvertible { public var description: String }

    public init(host: String, port: UInt16, portGiven: Bool) { (self.host, self.port, self.portGiven) = (host, port, portGiven) }

    /// "HOST:PORT", "PORT" or "HOST" (IPv4; `localhost` is 127.0.0.1).
    public init(_ text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var host = "127.0.0.1", port: UInt16 = 8000, portGiven = false
        switch parts.count {
        case 1 where UInt16(parts[0]) != nil: port = UInt16(parts[0])!; portGiven = true
        case 1: host = parts[0]
        case 2:
            host = parts[0].isEmpty ? host : parts[0]
            guard let p = UInt16(parts[1]) else { throw Problem(description: "--class \(text): the port must be a number from 0 to 65535") }
            port = p; portGiven = true
        default: throw Problem(description: "--class \(text): give HOST:PORT, such as 0.0.0.0:8000")
        }
        if host == "localhost" { host = "127.0.0.1" }
        var probe = in_addr()
        guard inet_pton(AF_INET, host, &probe) == 1 else {
            throw Problem(description: "--class \(text): \(host) is not an IPv4 address (0.0.0.0 serves every network, 127.0.0.1 this machine)")
        }
        self.init(host: host, port: port, portGiven: portGiven)
    }

    var candidatePorts: [UInt16] { portGiven || port == 0 ? [port] : (0..<10).map { port + $0 } }
    var displayHost: String { host == "0.0.0.0" ? "127.0.0.1" : host }

    /// This machine's IPv4 addresses on its networks (not loopback).
    static func networkAddresses() -> [String] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var found: [String] = []
        var node: UnsafeMutablePointer<ifaddrs>? = first
        while let current = node {
            defer { node = current.pointee.ifa_next }
            guard let address = current.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            guard getnameinfo(address, socklen_t(MemoryLayout<sockaddr_in>.size), &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0
            else { continue }
            let text = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !text.hasPrefix("127.") { found.append(text) }
        }
        return found
    }
}
