import Dispatch

/// Where the class server's tasks run: a serial queue of its own, not Swift's shared pool of
/// threads. Whatever else keeps that pool busy (tests running side by side, a lesson's own
/// work), the page answers at once.
final class ServerExecutor: TaskExecutor {
    /// Where the lesson's thread has the server started and stopped (see `ClassSession.wait`).
    static let forWaiting = ServerExecutor(label: "convbook.class-server.waiting")

    private let queue: DispatchQueue

    init(label: String = "convbook.class-server") { queue = DispatchQueue(label: label) }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
