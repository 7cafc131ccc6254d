/// An immutable run of bytes with one owner: an array, or a region someone else allocated
/// (a memory-mapped file) together with the function that releases it.
///
/// Tensors read from a file keep the file's `SharedBytes` alive and point into it, so a model
/// is never held twice. The raw pointer is reachable only inside `withUnsafeBytes`.
public final class SharedBytes: @unchecked Sendable {
    // Immutable after init, hence safe to share between threads.
    private let base: UnsafeRawBufferPointer
    /// Set when this object allocated the memory itself (so a unique owner may write to it).
    private let allocation: UnsafeMutableRawPointer?
    /// Set when the memory belongs to someone else (a mapping) and how to give it back.
    private let release: (@Sendable (UnsafeRawBufferPointer) -> Void)?

    /// Takes ownership of `bytes`.
    public init(_ bytes: [UInt8]) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
        bytes.withUnsafeBytes { src in
            if let s = src.baseAddress { buffer.baseAddress!.copyMemory(from: s, byteCount: src.count) }
        }
        base = UnsafeRawBufferPointer(rebasing: buffer[0..<bytes.count])
        allocation = buffer.baseAddress
        release = nil
    }

    /// Allocates `count` bytes (64-byte aligned) and lets `initialize` fill them.
    public init(count: Int, initialize: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 64)
        do {
            try initialize(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]))
        } catch {
            buffer.deallocate()
            throw error
        }
        base = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
        allocation = buffer.baseAddress
        release = nil
    }

    /// Wraps memory owned elsewhere; `release` runs once, when the last reference goes.
    public init(unsafeOwning bytes: UnsafeRawBufferPointer, release: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) {
        base = bytes
        self.release = release
        allocation = nil
    }

    deinit {
        if let allocation { allocation.deallocate() } else { release?(base) }
    }

    package var ownsAllocation: Bool { allocation != nil }

    public var count: Int { base.count }

    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(base)
    }

    /// Write access for the unique owner of an allocation made by this class (copy-on-write).
    package func withUnsafeMutableBytesAssumingUnique<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        precondition(ownsAllocation)
        return try body(UnsafeMutableRawBufferPointer(mutating: base))
    }

    /// A copy of `range` as an array (for small reads: names, headers).
    public func copyBytes(_ range: Range<Int>) -> [UInt8] {
        precondition(range.lowerBound >= 0 && range.upperBound <= base.count)
        return Array(base[range])
    }
}
