import Foundation
import Notebook
import Testing
import TestSupport
@testable import Classroom

/// The class page's server on loopback, without a lesson: its routes, the teacher's token, what
/// it refuses to serve, a hundred followers, and a follower that stops reading.
@Suite(.serialized) struct ClassServerTests {
    /// A server on a free port over a state whose folder is a fresh temporary one.
    final class Running {
        let folder = TemporaryFolder()
        let state: ClassState
        let server: ClassServer
        let port: UInt16

        init() throws {
            state = ClassState(lesson: "lenet", title: "LeNet", folder: folder.path)
            server = try ClassServer(state: state, host: "127.0.0.1", port: 0)
            port = try ClassSession.wait { [server] in try await server.start() }
        }

        deinit { let server = server; _ = try? ClassSession.wait { await server.stop(); return 0 } }

        // The requests wait on threads of their own, not on Swift's shared pool, whose tasks serve
        // them (see `offTheTestPool`).
        func get(_ path: String) async throws -> (status: Int, body: Data) {
            let port = port
            return try await offTheTestPool { try RawClient.request("GET", path, port: port) }
        }
        func command(_ body: String, token: String?) async throws -> Int {
            let port = port
            return try await offTheTestPool {
                try RawClient.request("POST", "/command", port: port, headers: token.map { ["X-Class-Token": $0] } ?? [:], body: body).status
            }
        }
    }

    @Test func servesThePageItsScriptAndTheLessonSoFar() async throws {
        let running = try Running()
        running.state.append(.init(kind: .prose, cell: 0, html: "<h1>LeNet</h1>"))
        let page = try await running.get("/")
        #expect(page.status == 200 && String(decoding: page.body, as: UTF8.self).contains("<script src=\"/class.js\"></script>"))
        #expect(try await running.get("/class.js").status == 200)
        #expect(try await running.get("/class.css").status == 200)
        let state = try await running.get("/state?from=0")
        let json = try #require(try JSONSerialization.jsonObject(with: state.body) as? [String: Any])
        let head = try #require(json["head"] as? [String: Any])
        #expect(head["lesson"] as? String == "lenet" && head["entries"] as? Int == 1)
        #expect((json["entries"] as? [[String: Any]])?.first?["html"] as? String == "<h1>LeNet</h1>")
        #expect(try await running.get("/state?from=5").status == 200, "past the end: no entries, not an error")
        #expect(try await running.get("/no/such/thing").status == 404)
    }

    @Test func onlyTheTeachersTokenDrives() async throws {
        let running = try Running()
        let token = running.server.token
        #expect(token.count == 32)
        #expect(try await running.command(#"{"action": "next"}"#, token: nil) == 403)
        #expect(try await running.command(#"{"action": "next"}"#, token: String(token.reversed())) == 403)
        #expect(try await running.command("next please", token: token) == 400)
        #expect(try await running.command(#"{"action": "fly"}"#, token: token) == 400)
        #expect(try await running.command(#"{"action": "jump"}"#, token: token) == 400, "jump needs its entry")
        #expect(try await running.command(#"{"action": "next"}"#, token: token) == 409, "nothing waits for it")
        running.state.setWaiting("run the next cell", exploring: false)
        #expect(try await running.command(#"{"action": "next"}"#, token: token) == 200)
        #expect(running.state.takeRequest() == .goOn)
        #expect(try await running.command(#"{"action": "inside"}"#, token: token) == 409, "not at a walk-through step")
        #expect(try await running.command(#"{"action": "pause"}"#, token: token) == 200)
        #expect(running.state.paused)
        let port = running.port
        #expect(try await offTheTestPool { try RawClient.request("GET", "/command", port: port).status } == 404)
    }

    /// Only pictures the lesson has shown, by bare name, regular files in its folder.
    @Test func picturesOnlyByNameFromTheFolder() async throws {
        let running = try Running()
        let png = Array("\u{89}PNG fake".utf8)
        running.folder.write("shown.png", png)
        running.folder.write("not-shown.png", png)
        try FileManager.default.createSymbolicLink(atPath: running.folder.path + "/link.png", withDestinationPath: "/etc/hostname")
        for name in ["shown.png", "link.png"] {
            running.state.append(.init(kind: .picture, cell: 0, html: "", picture: name))
        }
        let shown = try await running.get("/picture/shown.png")
        #expect(shown.status == 200 && Array(shown.body) == png)
        for path in ["/picture/link.png", "/picture/not-shown.png", "/picture/..%2Fshown.png", "/picture/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                     "/picture/../../etc/passwd", "/picture/", "/picture/.lock"] {
            #expect(try await running.get(path).status == 404, "\(path)")
        }
    }

    /// A hundred followers get every change within a second; those that leave stop costing.
    @Test func aHundredFollowersStayLive() async throws {
        let running = try Running()
        let (port, state) = (running.port, running.state)
        let (silent, late, seconds, listening, followers) = try await offTheTestPool {
            let followers = try (0..<100).map { _ in try RawClient.follower(port: port) }
            let silent = followers.filter { $0.nextMessage() == nil }.count
            let started = Date()
            state.append(.init(kind: .prose, cell: 0, html: "<p>one</p>"))
            let late = followers.filter { $0.waitForMessage(timeout: 1, until: { $0.contains(#""entries":1"#) }) == nil }.count
            return (silent, late, Date().timeIntervalSince(started), state.listenerCount, HandedOver(followers))
        }
        #expect(silent == 0, "every follower gets the head on connecting")
        #expect(late == 0, "\(late) of 100 followers did not hear of the change within a second")
        #expect(seconds < 2)
        #expect(listening == 100)
        let remaining = try await offTheTestPool {
            _ = followers.value.prefix(50).map { shutdown($0.fd, Int32(SHUT_RDWR)) }
            let deadline = Date().addingTimeInterval(5)
            while state.listenerCount > 50 && Date() < deadline { usleep(50_000) }
            return state.listenerCount
        }
        #expect(remaining == 50, "a follower that leaves costs nothing")
    }

    /// The head goes to every follower on every change, so it stays small however many pictures
    /// the lesson shows: it names only the pictures drawn again.
    @Test func theHeadNamesOnlyPicturesDrawnAgain() throws {
        let state = ClassState(lesson: "lenet", title: "LeNet", folder: "/nonexistent")
        for i in 0..<1000 { state.append(.init(kind: .picture, cell: 0, html: "", picture: "picture-\(i).png")) }
        state.redrawn("picture-7.png")
        state.append(.init(kind: .picture, cell: 1, html: "", picture: "picture-7.png"))
        state.redrawn("training.png")
        #expect(state.head.redrawings == ["picture-7.png": 2])
        #expect(state.hasPicture("picture-999.png") && state.hasPicture("training.png"))
        #expect(!state.hasPicture("picture-1000.png"))
        #expect(try JSONEncoder().encode(state.head).count < 400)
    }

    /// A follower that stops reading holds up no one: the others hear of every change at once,
    /// and the newest head is what it would get if it read again.
    @Test func aFollowerThatStopsReadingHoldsUpNoOne() async throws {
        let running = try Running()
        let (port, state) = (running.port, running.state)
        let (heard, listening) = try await offTheTestPool {
            let stalled = try RawClient.follower(port: port)
            var size = 1 << 16
            setsockopt(stalled.fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            let reader = try RawClient.follower(port: port)
            _ = reader.nextMessage()
            // Many changes with large heads (a 2 KB status each): megabytes the stalled one never reads.
            let padding = String(repeating: "·", count: 1000)
            for i in 0..<1500 { state.setStatus("status \(i) \(padding)") }
            let last = reader.waitForMessage(timeout: 5) { $0.contains("status 1499 ") }
            let listening = state.listenerCount
            withExtendedLifetime(stalled) {}
            return (last != nil, listening)
        }
        #expect(heard, "the reading follower hears of the last change")
        #expect(listening == 2)
    }
}
