import Foundation

/// A 64-byte-aligned buffer of `Float`s, the memory behind a tensor.
///
/// Training repeats the same shapes every batch, so freed buffers go back to a pool keyed by
/// their size and the next tensor of that size takes one: once warmed up, a training step asks
/// the system for no memory at all.
public final class Storage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    /// True for the storage of a shape-only tensor: `count` floats that are never allocated.
    public let isShapeOnly: Bool

    /// Uninitialized memory for `count` floats.
    public init(uninitializedCount count: Int) {
        self.count = count
        self.pointer = BufferPool.shared.take(count)
        self.isShapeOnly = false
    }

    /// No memory at all, for a tensor that only has a shape (see `Tensor(shapeOnly:)`).
    init(shapeOnlyCount count: Int) {
        self.count = count
        self.pointer = Storage.nowhere
        self.isShapeOnly = true
    }

    /// What a shape-only storage points at; never read or written (`Tensor.data` refuses).
    private static let nowhere = UnsafeMutablePointer<Float>.allocate(capacity: 1)

    /// `count` zeros.
    public convenience init(zeros count: Int) {
        self.init(uninitializedCount: count)
        pointer.update(repeating: 0, count: count)
    }

    deinit { if !isShapeOnly { BufferPool.shared.give(pointer, count) } }

    /// How many buffers have come from the system rather than the pool, since the start: a
    /// training step that adds none reuses all its memory.
    public static var systemAllocations: Int { BufferPool.shared.systemAllocationCount }

    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: pointer, count: count) }
}

/// Free buffers by size. Thread-safe; sizes are exact, since a training loop asks for the same
/// sizes again and again.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()
    static let alignment = 64

    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var pooledBytes = 0
    /// Buffers requested from the system so far (not served from the pool).
    private(set) var systemAllocations = 0
    private let lock = NSLock()
    /// Beyond this, freed buffers go back to the system instead of the pool: a quarter of the
    /// machine's memory, enough for a training step of the chapter's largest nets at batch 128.
    private let limitBytes = Int(ProcessInfo.processInfo.physicalMemory / 4)

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        lock.lock()
        if let p = free[count]?.popLast() {
            pooledBytes -= count * 4
            lock.unlock()
            return p
        }
        systemAllocations += 1
        lock.unlock()
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: Self.alignment)
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    var systemAllocationCount: Int {
        lock.lock(); defer { lock.unlock() }
        return systemAllocations
    }

    func give(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) {
        lock.lock()
        if pooledBytes + count * 4 <= limitBytes {
            free[count, default: []].append(pointer)
            pooledBytes += count * 4
            lock.unlock()
        } else {
            lock.unlock()
            UnsafeMutableRawPointer(pointer).deallocate()
        }
    }
}
