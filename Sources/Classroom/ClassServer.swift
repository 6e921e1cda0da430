import FlyingFox
import FlyingSocks
import Files
import Foundation
import Localization
import Notebook

/// The class page's web server, on this machine's loopback by default: the page and its script,
/// the lesson's entries and pictures for everyone, and a live feed (a WebSocket) that tells
/// every follower of each change. Only a request that carries the teacher's token (printed in
/// the terminal) can drive. Nothing is served but the page and the pictures the lesson has shown,
/// by name, from its own folder.
///
///     GET  /                 the page          GET /picture/<name>   a picture the lesson showed
///     GET  /state?from=N     head and entries  GET /follow           the live feed (WebSocket)
///     POST /command          {"action": "next"}, with the header X-Class-Token
public final class ClassServer: Sendable {
    public let state: ClassState
    /// The teacher's secret: 128 random bits.
    public let token: String
    /// The language of the page's own words (the lesson's are in its run's).
    public let language: Language
    let server: HTTPServer
    let executor = ServerExecutor()

    public init(state: ClassState, host: String, port: UInt16, language: Language = .en) throws {
        (self.state, self.language) = (state, language)
        token = (0..<4).map { _ in String(format: "%08x", UInt32.random(in: 0...UInt32.max)) }.joined()
        server = HTTPServer(address: try sockaddr_in.inet(ip4: host, port: port), timeout: 15, logger: .disabled)
    }

    /// Starts serving in the background (on a queue of its own); returns once the server
    /// listens, with its port.
    public func start() async throws -> UInt16 {
        await addRoutes()
        Task(executorPreference: executor) { [server] in try? await server.run() }
        // Generous: on a 2-core machine whose cores the kernels keep busy (a test run's suites
        // side by side), the listener once took more than 5 seconds to come up.
        try await server.waitUntilListening(timeout: 30)
        guard case let .ip4(_, port)? = await server.listeningAddress else { return 0 }
        return port
    }

    public func stop() async { await server.stop(timeout: 1) }

    private func addRoutes() async {
        let state = state, token = token, language = language
        await server.appendRoute("GET /") { _ in Self.response(ClassPage.html(in: language), type: "text/html; charset=utf-8") }
        await server.appendRoute("GET /class.js") { _ in Self.response(ClassPage.script(in: language), type: "text/javascript; charset=utf-8") }
        await server.appendRoute("GET /class.css") { _ in Self.response(ClassPage.style, type: "text/css; charset=utf-8") }
        await server.appendRoute("GET /state") { request in
            let from = request.query["from"].flatMap { Int($0) } ?? 0
            let (head, entries) = state.entries(from: from)
            return try Self.json(StatePage(head: head, from: max(from, 0), entries: entries))
        }
        await server.appendRoute("GET /picture/*") { request in Self.picture(request, state: state) }
        await server.appendRoute("POST /command") { (request: HTTPRequest) in
            guard let given = request.headers[HTTPHeader("X-Class-Token")] ?? request.query["token"],
                  given == token else {
                return Self.problem(.forbidden, "only the teacher's page can drive the lesson")
            }
            let command: ClassState.Command
            do { command = try Self.command(from: try await request.bodyData) } catch {
                return Self.problem(.badRequest, "\(error)")
            }
            do {
                try state.perform(command)
            } catch {
                return Self.problem(.conflict, "\(error)")
            }
            return try Self.json(state.head)
        }
        await server.appendRoute("GET /follow", to: .webSocket(Follower(state: state)))
    }

    // MARK: Responses

    struct StatePage: Encodable { var head: ClassState.Head; var from: Int; var entries: [ClassState.Entry] }

    static func response(_ text: String, type: String) -> HTTPResponse {
        HTTPResponse(statusCode: .ok, headers: [.contentType: type, HTTPHeader("Cache-Control"): "no-store"], body: Data(text.utf8))
    }

    static func json(_ value: some Encodable) throws -> HTTPResponse {
        HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json", HTTPHeader("Cache-Control"): "no-store"],
                     body: try JSONEncoder().encode(value))
    }

    static func problem(_ status: HTTPStatusCode, _ message: String) -> HTTPResponse {
        HTTPResponse(statusCode: status, headers: [.contentType: "text/plain; charset=utf-8"], body: Data((message + "\n").utf8))
    }

    /// A picture the lesson has shown, by its bare name, from the lesson's folder; a regular file
    /// only (not a link). Anything else is 404, whatever the path tries.
    static func picture(_ request: HTTPRequest, state: ClassState) -> HTTPResponse {
        let name = String(request.path.dropFirst("/picture/".count))
        let allowed = name.hasSuffix(".png") && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0) }
        guard allowed, state.hasPicture(name),
              let data = try? ReadableFile.contents(of: (state.folder as NSString).appendingPathComponent(name), followingLinks: false)
        else { return problem(.notFound, "no such picture") }
        return HTTPResponse(statusCode: .ok, headers: [.contentType: "image/png", HTTPHeader("Cache-Control"): "no-store"], body: data)
    }

    /// A command as the page sends it: {"action": "next"}, {"action": "jump", "entry": 12},
    /// {"action": "image", "image": 7}, {"action": "class", "class": 3}, ...
    static func command(from body: Data) throws -> ClassState.Command {
        struct Body: Decodable { var action: String; var entry: Int?; var image: Int?; var `class`: Int? }
        let command: Body
        do { command = try JSONDecoder().decode(Body.self, from: body) } catch {
            throw ClassState.Refusal(description: "the body is not a command ({\"action\": \"next\"})")
        }
        let body = command
        switch body.action {
        case "next": return .next
        case "back": return .back
        case "follow": return .follow
        case "jump": if let entry = body.entry { return .jump(entry) }
        case "image": if let image = body.image { return .explore(.image(image)) }
        case "class": if let label = body.class { return .explore(.nextOfClass(label)) }
        case "inside": return .explore(.insideBlock)
        case "pause": return .pause
        case "resume": return .resume
        case "stop-after-epoch": return .stopAfterEpoch
        default: throw ClassState.Refusal(description: "unknown action '\(body.action)'")
        }
        throw ClassState.Refusal(description: "action '\(body.action)' needs its value")
    }
}

/// One follower's live feed: the head as JSON now and after every change. The feed keeps only
/// the newest few heads for a follower that reads slowly (each head is whole, so skipping some
/// loses nothing), and when the follower goes, its listener goes with it.
struct Follower: WSMessageHandler {
    let state: ClassState

    func makeMessages(for client: AsyncStream<WSMessage>) async throws -> AsyncStream<WSMessage> {
        let (messages, continuation) = AsyncStream<WSMessage>.makeStream(bufferingPolicy: .bufferingNewest(4))
        @Sendable func send(_ head: ClassState.Head) {
            if let data = try? JSONEncoder().encode(head) { continuation.yield(.text(String(decoding: data, as: UTF8.self))) }
        }
        let id = state.listen { head in send(head) }
        send(state.head)
        continuation.onTermination = { [state] _ in state.stopListening(id) }
        // The follower sends nothing; when its side ends, so does its feed.
        Task {
            for await _ in client {}
            continuation.finish()
        }
        return messages
    }
}
