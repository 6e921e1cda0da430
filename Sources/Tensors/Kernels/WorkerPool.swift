import Foundation
import Synchronization

/// The threads behind `Parallel.run`: one fewer than the cores, started once, that wait for work
/// by watching a shared word for a while before they sleep.
///
/// The system's pool (`DispatchQueue.concurrentPerform`) puts its threads to sleep as soon as
/// a call ends, and on this kind of virtual machine waking one took about 100 µs: two parts of
/// 24 µs each ran in 98 µs, worse than one thread doing both. A training step of the small
/// networks is dozens of kernels of tens to hundreds of µs with a little work between them, so
/// LeNet trained at about 23,500 examples/s on one thread and 22,800 to 27,900 on two. Here a thread that has just finished a
/// part keeps looking for the next job for `spinTime` before it sleeps, the way OpenMP's
/// threads do, so the kernels of a step find it awake.
///
/// A job is published in one atomic word, `work`: a job number, the count of parts, and the
/// next part to claim. A thread claims a part by advancing that word, which succeeds only while
/// the job has parts left, so a thread that saw an old job can never run a part of a new one.
/// Which thread runs which part is a matter of timing; what each part computes is not (see
/// `Parallel.run`).
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(workers: ProcessInfo.processInfo.activeProcessorCount - 1)

    /// How long an idle thread keeps looking for work before it sleeps: longer than the gaps
    /// between one kernel and the next in a training step, short enough that an idle process
    /// gives its cores back at once.
    static let spinTime: Duration = .microseconds(500)

    /// The published job, laid out as `WorkWord` says.
    private let work = Atomic<UInt64>(0)
    /// The running job's body, `(Int) -> Void`, by address; read only by a thread holding a part.
    private let job = Atomic<UInt>(0)
    private let finished = Atomic<Int>(0)
    /// True while a call owns the pool; another call at the same time (a part that runs
    /// kernels of its own, or a second thread of the program) goes to the system's pool.
    private let busy = Atomic<Bool>(false)
    /// Threads asleep on `wake`, which a new job must wake.
    private let sleepers = Atomic<Int>(0)
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let wake: UnsafeMutablePointer<pthread_cond_t>
    let workers: Int

    /// A pool of `workers` threads besides the caller's. They hold it and live as long as the
    /// process: a pool is made once (tests make a few).
    init(workers: Int) {
        self.workers = max(0, workers)
        mutex = .allocate(capacity: 1)
        wake = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        for _ in 0..<self.workers {
            let thread = Thread { self.serve() }
            thread.stackSize = 8 << 20   // a main thread's, since any kernel's part may run here
            thread.start()
        }
    }

    /// The largest part count `work` holds.
    static let maximumParts = WorkWord.maximumParts

    /// Runs `body(part)` for every part in 0..<parts on this thread and the pool's, and returns
    /// when all have finished; false, having run nothing, if the pool is in use.
    func run(_ parts: Int, _ body: (Int) -> Void) -> Bool {
        guard workers > 0, parts <= Self.maximumParts,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        withoutActuallyEscaping(body) { body in
            var body = body
            withUnsafeMutablePointer(to: &body) { address in
                job.store(UInt(bitPattern: address), ordering: .relaxed)
                finished.store(0, ordering: .relaxed)
                let number = WorkWord.jobNumber(work.load(ordering: .relaxed)) &+ 1
                work.store(WorkWord.published(job: number, parts: parts), ordering: .sequentiallyConsistent)
                if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                    pthread_mutex_lock(mutex)
                    pthread_cond_broadcast(wake)
                    pthread_mutex_unlock(mutex)
                }
                runParts()
                // Wait for the parts other threads claimed; they are running, so not for long.
                var spins = 0
                while finished.load(ordering: .acquiring) < parts {
                    spins += 1
                    if spins > 1_000 { sched_yield() }
                }
            }
        }
        busy.store(false, ordering: .releasing)
        return true
    }

    /// Claims and runs parts of the job in `work` until none is left.
    private func runParts() {
        while let part = claim() {
            Self.call(job.load(ordering: .relaxed), part)
            finished.add(1, ordering: .releasing)
        }
    }

    /// The next part of the published job, taken by advancing `work`; nil if none is left.
    private func claim() -> Int? {
        var word = work.load(ordering: .relaxed)
        while WorkWord.hasParts(word) {
            let (exchanged, current) = work.compareExchange(expected: word, desired: WorkWord.claimed(word),
                                                            ordering: .acquiringAndReleasing)
            if exchanged { return WorkWord.nextPart(word) }
            word = current
        }
        return nil
    }

    /// Calls the body at `address` (kept out of line so that its copy of the closure is released
    /// before the part is counted finished, and the caller's closure is again its own).
    @inline(never)
    private static func call(_ address: UInt, _ part: Int) {
        UnsafePointer<(Int) -> Void>(bitPattern: address)!.pointee(part)
    }

    /// Whether a job with parts left appears before `deadline` (the clock read every 64 looks).
    private func awaitsWork(until deadline: ContinuousClock.Instant, _ clock: ContinuousClock) -> Bool {
        repeat {
            for _ in 0..<64 where WorkWord.hasParts(work.load(ordering: .relaxed)) { return true }
        } while clock.now < deadline
        return false
    }

    /// A worker's loop: run parts while there are any, look for more for `spinTime`, then sleep
    /// until a job is published.
    private func serve() {
        let clock = ContinuousClock()
        while true {
            runParts()
            if awaitsWork(until: clock.now + Self.spinTime, clock) { continue }
            pthread_mutex_lock(mutex)
            sleepers.add(1, ordering: .sequentiallyConsistent)
            while !WorkWord.hasParts(work.load(ordering: .sequentiallyConsistent)) { pthread_cond_wait(wake, mutex) }
            sleepers.subtract(1, ordering: .sequentiallyConsistent)
            pthread_mutex_unlock(mutex)
        }
    }
}

/// `WorkerPool.work`, one 64-bit word: job number << 32 | parts << 16 | next part to claim. A
/// claim adds 1, which moves to the next part and never reaches the count's bits, since a
/// thread claims only while the next part is below the count.
private enum WorkWord {
    static let maximumParts = 1 << 16 - 1

    /// A new job's word: `number` (wrapping past 32 bits), `parts`, none claimed.
    static func published(job number: UInt64, parts: Int) -> UInt64 { number << 32 | UInt64(parts) << 16 }
    static func jobNumber(_ word: UInt64) -> UInt64 { word >> 32 }
    static func parts(_ word: UInt64) -> Int { Int(word >> 16 & 0xFFFF) }
    static func nextPart(_ word: UInt64) -> Int { Int(word & 0xFFFF) }
    static func hasParts(_ word: UInt64) -> Bool { nextPart(word) < parts(word) }
    /// The word once the next part is claimed.
    static func claimed(_ word: UInt64) -> UInt64 { word &+ 1 }
}
