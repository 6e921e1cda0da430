import Foundation
import Synchronization

/// A 64-byte-aligned buffer of `Float`s, the memory behind a tensor.
///
/// Training repeats the same shapes every batch, so freed buffers go back to a pool keyed by
/// their size and the next tensor of that size takes one: once warmed up, a training step asks
/// the system for no memory at all.
public final class Storage {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    /// Floats the buffer holds: `count`, or up to twice that when the pool served a larger one.
    let capacity: Int
    /// True for the storage of a shape-only tensor: `count` floats that are never allocated.
    public let isShapeOnly: Bool

    /// Uninitialized memory for `count` floats.
    public init(uninitializedCount count: Int) {
        self.count = count
        (self.pointer, self.capacity) = BufferPool.shared.take(count)
        self.isShapeOnly = false
    }

    /// No memory at all, for a tensor that only has a shape (see `Tensor(shapeOnly:)`). Its
    /// pointer is an address that is never mapped: `Tensor.data` refuses to hand it out, and a
    /// kernel that got it anyway would fault at once rather than compute on garbage.
    init(shapeOnlyCount count: Int) {
        (self.count, self.capacity) = (count, count)
        self.pointer = UnsafeMutablePointer(bitPattern: BufferPool.alignment)!
        self.isShapeOnly = true
    }

    /// `count` zeros.
    public convenience init(zeros count: Int) {
        self.init(uninitializedCount: count)
        pointer.update(repeating: 0, count: count)
    }

    deinit { if !isShapeOnly { BufferPool.shared.give(pointer, capacity) } }

    /// How many buffers have come from the system rather than the pool, since the start: a
    /// training step that adds none reuses all its memory.
    package static var systemAllocations: Int { BufferPool.shared.systemAllocationCount }

    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: pointer, count: count) }

    /// Returns the memory kept for reuse to the system: call it between one network and the
    /// next (`lesson all`, `compare`, `bench`), so each starts as it would alone and the process
    /// holds no more than its largest network needs.
    public static func releasePooledMemory() { BufferPool.shared.releaseAll() }

    /// Bytes kept for reuse now.
    package static var pooledBytes: Int { BufferPool.shared.pooledBytes }
}

/// Free buffers by size. Thread-safe (a `Mutex` guards all of it; the pool keeps addresses as
/// integers, which are plain values). A training loop asks for the same sizes again and again,
/// so a size is served by a free buffer of that size; failing that, by the smallest free one up
/// to twice as large: an epoch's last, partial batch and the test's batches then run in the
/// training batch's buffers rather than each keeping a set of their own (which took VGG's lesson
/// to 5.3 GB where its training step needs about 2).
///
/// When the pool is full, a buffer given back makes room by sending the buffers of the sizes
/// used longest ago back to the system: a process that runs one network after another (`lesson
/// all`, `compare`, `bench`) keeps the sizes of the network running now, not of the first ones.
final class BufferPool: Sendable {
    static let shared = BufferPool()
    static let alignment = 64

    private struct State {
        /// Free buffers' addresses by their count of floats.
        var free: [Int: [UInt]] = [:]
        var pooledBytes = 0
        /// Buffers requested from the system so far (not served from the pool).
        var systemAllocations = 0
        /// When each size was last taken or given back: a count of those events, not a clock.
        var lastUse: [Int: UInt64] = [:]
        var uses: UInt64 = 0

        mutating func used(_ count: Int) {
            uses += 1
            lastUse[count] = uses
        }

        /// A free buffer for `count` floats: one of exactly that size, else of the smallest size
        /// below twice it; with its size. Sizes with no free buffer have no key in `free`.
        mutating func takeFree(_ count: Int) -> (address: UInt, size: Int)? {
            let size = free[count] != nil ? count : free.keys.filter { $0 > count && $0 < 2 * count }.min()
            guard let size, let address = free[size]?.popLast() else { return nil }
            if free[size]!.isEmpty { free[size] = nil }
            pooledBytes -= size * 4
            return (address, size)
        }

        /// Takes the free buffers of the sizes used longest ago (never `keeping`'s) out of the
        /// pool until `bytes` more fit under `limit`; returns them, to be freed outside the lock.
        mutating func makeRoom(for bytes: Int, under limit: Int, keeping: Int) -> [(UInt, Int)] {
            var evicted: [(UInt, Int)] = []
            let oldestFirst = free.keys.filter { $0 != keeping }.sorted { lastUse[$0, default: 0] < lastUse[$1, default: 0] }
            for count in oldestFirst where pooledBytes + bytes > limit {
                for address in free.removeValue(forKey: count) ?? [] {
                    evicted.append((address, count))
                    pooledBytes -= count * 4
                }
            }
            return evicted
        }
    }
    private let state = Mutex(State())
    /// Beyond this, buffers go back to the system: a quarter of the machine's memory, enough for
    /// a training step of the chapter's largest nets at batch 128.
    private let limitBytes: Int

    init(limitBytes: Int = Int(ProcessInfo.processInfo.physicalMemory / 4)) { self.limitBytes = limitBytes }

    /// A buffer for `count` floats and how many it holds (give that back).
    func take(_ count: Int) -> (UnsafeMutablePointer<Float>, capacity: Int) {
        let pooled = state.withLock { state -> (address: UInt, size: Int)? in
            guard let found = state.takeFree(count) else {
                state.used(count)
                state.systemAllocations += 1
                return nil
            }
            state.used(found.size)
            return found
        }
        if let pooled { return (UnsafeMutablePointer(bitPattern: pooled.address)!, pooled.size) }
        return (Self.systemAllocate(count), count)
    }

    /// Buffers of this many bytes or more get a mapping of their own from the system, not a
    /// block of the C library's heap, and go back whole when freed. Heap blocks that size were
    /// placed wherever one network's mix of sizes left a hole, and freeing them left holes the
    /// next network filled less tightly: `lesson all` peaked up to 16 MB (heap and thread
    /// arenas, /proc/self/smaps) above VGG's lesson alone, whose largest lesson it runs.
    static let mappedBytes = 256 << 10

    /// Memory for `count` floats (at least one) from the system, 64-byte aligned.
    private static func systemAllocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard bytes >= mappedBytes else {
            return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: alignment)
                .bindMemory(to: Float.self, capacity: max(count, 1))
        }
        guard let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              mapped != MAP_FAILED else {
            fatalError("out of memory: the system refused \(bytes.grouped) bytes for a tensor (\(String(cString: strerror(errno))))")
        }
        return mapped.bindMemory(to: Float.self, capacity: count)
    }

    /// Returns a buffer of `count` floats from `systemAllocate` to the system.
    private static func systemFree(_ address: UInt, _ count: Int) {
        let pointer = UnsafeMutableRawPointer(bitPattern: address)!
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        if bytes >= mappedBytes { munmap(pointer, bytes) } else { pointer.deallocate() }
    }

    var systemAllocationCount: Int { state.withLock { $0.systemAllocations } }
    var pooledBytes: Int { state.withLock { $0.pooledBytes } }

    /// Takes back a buffer of `count` floats (the capacity `take` gave).
    func give(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) {
        let address = UInt(bitPattern: pointer)
        let (kept, evicted) = state.withLock { state -> (Bool, [(UInt, Int)]) in
            state.used(count)
            // A buffer larger than the whole pool goes back at once, making no room for itself.
            let evicted = state.pooledBytes + count * 4 > limitBytes && count * 4 <= limitBytes
                ? state.makeRoom(for: count * 4, under: limitBytes, keeping: count) : []
            guard state.pooledBytes + count * 4 <= limitBytes else { return (false, evicted) }
            state.free[count, default: []].append(address)
            state.pooledBytes += count * 4
            return (true, evicted)
        }
        for (address, size) in evicted { Self.systemFree(address, size) }
        if !kept { Self.systemFree(address, count) }
    }

    /// Sends every free buffer back to the system, and has the C library return the freed
    /// memory to the operating system: between one network and the next.
    func releaseAll() {
        let all = state.withLock { state -> [(UInt, Int)] in
            defer { state.free = [:]; state.pooledBytes = 0; state.lastUse = [:] }
            return state.free.flatMap { size, addresses in addresses.map { ($0, size) } }
        }
        for (address, size) in all { Self.systemFree(address, size) }
        #if os(Linux)
        _ = mallocTrim(0)
        #endif
    }
}

#if os(Linux)
/// glibc's `malloc_trim` (from malloc.h, which Swift's Glibc module leaves out): gives the
/// memory that freed blocks leave inside the heap back to the operating system.
@_silgen_name("malloc_trim")
private func mallocTrim(_ pad: Int) -> Int32
#endif
