import SparseFactorCore
import SparseFactorNN
import SparseFactorIO
import Foundation

/// A fixed-size run of Floats that starts on a 64-byte boundary (a cache line, one AVX-512
/// register). Swift arrays start 16 or 32 bytes past one, which makes every vector load of the
/// shift kernels straddle two cache lines: about 30–45% slower, measured at N = 1024. PSF-Attn
/// keeps its channel-major blocks and factor values in these.
///
/// The storage is owned by the instance (a class, so passing it around copies nothing); the
/// pointer only ever escapes into a `withUnsafe…` closure.
final class AlignedFloats {
    let count: Int
    private let base: UnsafeMutablePointer<Float>

    /// `count` zeros.
    init(zeros count: Int) {
        self.count = count
        base = AlignedFloats.allocate(count)
        base.initialize(repeating: 0, count: count)
    }

    /// `count` entries that `fill` must set, every one of them (a kernel's output): skips the
    /// zero-filling pass.
    init(count: Int, fill: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        self.count = count
        base = AlignedFloats.allocate(count)
        base.initialize(repeating: 0, count: 0)
        try fill(UnsafeMutableBufferPointer(start: base, count: count))
    }

    deinit { AlignedFloats.recycle(base, count) }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        if let reused = pool.take(count) { return reused }
        return UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(count, 1))
    }

    private static func recycle(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) {
        if !pool.keep(pointer, count) { pointer.deallocate() }
    }

    /// Freed blocks kept for reuse: a training step allocates and frees the same few sizes
    /// (blocks, factor values, their gradients: tens of MB) every step, and handing them back
    /// to the system costs a page fault and a zero-fill per 4 KiB on the next step.
    private static let pool = BlockPool(maxBytes: 128 << 20)

    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: base, count: count))
    }

    /// self += other, entry by entry (same count).
    func add(_ other: AlignedFloats) {
        precondition(other.count == count, "AlignedFloats.add: \(other.count) vs \(count) entries")
        for i in 0..<count { base[i] += other.base[i] }
    }

    /// Sets entries n..<stride of every row of `stride` entries to zero (the padding a kernel does not write).
    func zeroPadding(n: Int, stride: Int) {
        guard stride > n else { return }
        var start = n
        while start < count {
            (base + start).update(repeating: 0, count: stride - n)
            start += stride
        }
    }
}

/// `body` with the buffer's base address, or nil for a nil buffer.
func withOptionalBuffer<R>(_ values: AlignedFloats?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let values else { return body(nil) }
    return values.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// `body` with the buffer's mutable base address, or nil for a nil buffer.
func withOptionalMutableBuffer<R>(_ values: AlignedFloats?, _ body: (UnsafeMutablePointer<Float>?) -> R) -> R {
    guard let values else { return body(nil) }
    return values.withUnsafeMutableBufferPointer { body($0.baseAddress) }
}

/// Blocks of Floats by count, up to a total size; thread-safe.
private final class BlockPool: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var bytes = 0
    private let maxBytes: Int

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    func take(_ count: Int) -> UnsafeMutablePointer<Float>? {
        lock.lock()
        defer { lock.unlock() }
        guard let pointer = free[count]?.popLast() else { return nil }
        bytes -= count * MemoryLayout<Float>.stride
        return pointer
    }

    /// Whether the pool took the block (else the caller frees it).
    func keep(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) -> Bool {
        let size = count * MemoryLayout<Float>.stride
        lock.lock()
        defer { lock.unlock() }
        guard size >= 1 << 16, bytes + size <= maxBytes else { return false }   // small blocks: malloc is fine
        free[count, default: []].append(pointer)
        bytes += size
        return true
    }
}

/// `[B, N, W]` (position-major) → `[B, W, stride]` (channel-major, padding zero).
func channelMajor(_ values: [Float], batch: Int, n: Int, width: Int, stride: Int) -> AlignedFloats {
    precondition(values.count == batch * n * width, "channelMajor: \(values.count) values for [\(batch), \(n), \(width)]")
    let out = AlignedFloats(zeros: batch * width * stride)
    values.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for b in 0..<batch {
                for i in 0..<n { for c in 0..<width { dst[(b * width + c) * stride + i] = src[(b * n + i) * width + c] } }
            }
        }
    }
    return out
}

/// `[B, W, stride]` (channel-major) → `[B, N, W]` (position-major); the padding is dropped.
func positionMajor(_ values: AlignedFloats, batch: Int, n: Int, width: Int, stride: Int) -> [Float] {
    precondition(values.count == batch * width * stride, "positionMajor: \(values.count) values for [\(batch), \(width), \(stride)]")
    return [Float](unsafeUninitializedCapacity: batch * n * width) { dst, initialized in
        values.withUnsafeBufferPointer { src in
            for b in 0..<batch {
                for c in 0..<width { for i in 0..<n { dst[(b * n + i) * width + c] = src[(b * width + c) * stride + i] } }
            }
        }
        initialized = batch * n * width
    }
}
