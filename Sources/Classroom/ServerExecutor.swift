import Dispatch

/// Where the class server's tasks run: a serial queue of its own, not Swift's shared pool of
/// threads. Whatever else keeps that pool busy (tests running side by side, a lesson's own
/// work), the page answers at once.
final class ServerExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "convbook.class-server")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
