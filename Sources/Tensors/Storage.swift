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
    /// True for the storage of a shape-only tensor: `count` floats that are never allocated.
    public let isShapeOnly: Bool

    /// Uninitialized memory for `count` floats.
    public init(uninitializedCount count: Int) {
        self.count = count
        self.pointer = BufferPool.shared.take(count)
        self.isShapeOnly = false
    }

    /// No memory at all, for a tensor that only has a shape (see `Tensor(shapeOnly:)`). Its
    /// pointer is an address that is never mapped: `Tensor.data` refuses to hand it out, and a
    /// kernel that got it anyway would fault at once rather than compute on garbage.
    init(shapeOnlyCount count: Int) {
        self.count = count
        self.pointer = UnsafeMutablePointer(bitPattern: BufferPool.alignment)!
        self.isShapeOnly = true
    }

    /// `count` zeros.
    public convenience init(zeros count: Int) {
        self.init(uninitializedCount: count)
        pointer.update(repeating: 0, count: count)
    }

    deinit { if !isShapeOnly { BufferPool.shared.give(pointer, count) } }

    /// How many buffers have come from the system rather than the pool, since the start: a
    /// training step that adds none reuses all its memory.
    package static var systemAllocations: Int { BufferPool.shared.systemAllocationCount }

    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: pointer, count: count) }
}

/// Free buffers by size. Thread-safe (a `Mutex` guards all of it; the pool keeps addresses as
/// integers, which are plain values); sizes are exact, since a training loop asks for the same
/// sizes again and again.
final class BufferPool: Sendable {
    static let shared = BufferPool()
    static let alignment = 64

    private struct State {
        /// Free buffers' addresses by their count of floats.
        var free: [Int: [UInt]] = [:]
        var pooledBytes = 0
        /// Buffers requested from the system so far (not served from the pool).
        var systemAllocations = 0
    }
    private let state = Mutex(State())
    /// Beyond this, freed buffers go back to the system instead of the pool: a quarter of the
    /// machine's memory, enough for a training step of the chapter's largest nets at batch 128.
    private let limitBytes = Int(ProcessInfo.processInfo.physicalMemory / 4)

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let pooled: UInt? = state.withLock { state in
            if let address = state.free[count]?.popLast() {
                state.pooledBytes -= count * 4
                return address
            }
            state.systemAllocations += 1
            return nil
        }
        if let pooled { return UnsafeMutablePointer(bitPattern: pooled)! }
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: Self.alignment)
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    var systemAllocationCount: Int { state.withLock { $0.systemAllocations } }

    func give(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) {
        let address = UInt(bitPattern: pointer)
        let kept = state.withLock { state in
            guard state.pooledBytes + count * 4 <= limitBytes else { return false }
            state.free[count, default: []].append(address)
            state.pooledBytes += count * 4
            return true
        }
        if !kept { UnsafeMutableRawPointer(pointer).deallocate() }
    }
}
