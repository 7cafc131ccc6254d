/// An owned tensor: element type, shape and little-endian element bytes.
///
/// Storage is shared (a tensor read from a file points into the file's bytes) and
/// copy-on-write: `withUnsafeMutableBytes` copies first unless this tensor is the only owner.
public struct Tensor: Sendable {
    public let dtype: DType
    public private(set) var shape: Shape
    private var storage: SharedBytes
    private var byteOffset: Int

    /// A tensor over `byteCount(shape, dtype)` bytes of `storage` starting at `offset`.
    public init(dtype: DType, shape: Shape, storage: SharedBytes, offset: Int = 0) throws(TensorError) {
        let needed: Int
        do { needed = try shape.byteCount(of: dtype) } catch { throw .shape(error) }
        guard offset >= 0, offset <= storage.count, needed <= storage.count - offset else {
            throw .storageTooSmall(shape: shape, dtype: dtype, offset: offset, available: storage.count)
        }
        self.dtype = dtype
        self.shape = shape
        self.storage = storage
        self.byteOffset = offset
    }

    /// Zero-filled tensor.
    public init(zeros dtype: DType, shape: Shape) throws(TensorError) {
        let bytes: Int
        do { bytes = try shape.byteCount(of: dtype) } catch { throw .shape(error) }
        let storage = SharedBytes(count: bytes) { $0.initializeMemory(as: UInt8.self, repeating: 0) }
        try self.init(dtype: dtype, shape: shape, storage: storage)
    }

    /// A tensor holding `scalars` as `dtype` (f32, f16, bf16, f64 or an integer type).
    public init(_ dtype: DType = .f32, shape: Shape, floats scalars: [Float]) throws(TensorError) {
        guard scalars.count == shape.count else { throw .elementCountMismatch(shape: shape, count: scalars.count) }
        try self.init(zeros: dtype, shape: shape)
        withUnsafeMutableBytes { raw in
            for (i, v) in scalars.enumerated() { ElementCodec.store(v, as: dtype, at: i, in: raw) }
        }
    }

    public var byteCount: Int { shape.count * dtype.byteSize }

    /// Caller guarantees an equal element count.
    mutating func reshape(to newShape: Shape) { shape = newShape }

    /// Borrowed access to the elements; the view must not escape `body`.
    public func withView<R, E: Error>(_ body: (TensorView) throws(E) -> R) throws(E) -> R {
        try storage.withUnsafeBytes { (raw) throws(E) -> R in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[byteOffset..<(byteOffset + byteCount)])
            return try body(TensorView(dtype: dtype, shape: shape, bytes: bytes))
        }
    }

    /// The element bytes, borrowed.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withView { (v) throws(E) -> R in try body(v.bytes) }
    }

    /// Mutable element bytes; copies the storage first unless this tensor is its sole owner.
    public mutating func withUnsafeMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        if !(isKnownUniquelyReferenced(&storage) && storage.ownsAllocation && byteOffset == 0 && storage.count == byteCount) {
            let (old, offset, count) = (storage, byteOffset, byteCount)
            storage = SharedBytes(count: count) { dst in
                old.withUnsafeBytes { src in
                    if count > 0 { dst.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: count) }
                }
            }
            byteOffset = 0
        }
        return try storage.withUnsafeMutableBytesAssumingUnique(body)
    }

    /// Elements converted to float32 (exact for f16, bf16 and small integers).
    public func floats() -> [Float] { withView { $0.floats() } }

    /// The same values stored as `dtype` (rounding to nearest even when narrowing floats).
    public func converted(to target: DType) -> Tensor {
        if target == dtype { return self }
        var out = try! Tensor(zeros: target, shape: shape)
        withView { src in
            out.withUnsafeMutableBytes { dst in
                for i in 0..<shape.count { ElementCodec.store(src.float(at: i), as: target, at: i, in: dst) }
            }
        }
        return out
    }
}

extension Tensor: Equatable {
    /// Equal dtype, shape and bytes (so NaNs with equal bits compare equal).
    public static func == (a: Tensor, b: Tensor) -> Bool {
        a.dtype == b.dtype && a.shape == b.shape
            && a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.elementsEqual(y) } }
    }
}

public enum TensorError: Error, Equatable, CustomStringConvertible {
    case shape(ShapeError)
    case storageTooSmall(shape: Shape, dtype: DType, offset: Int, available: Int)
    case elementCountMismatch(shape: Shape, count: Int)

    public var description: String {
        switch self {
        case .shape(let e): e.description
        case let .storageTooSmall(shape, dtype, offset, available):
            "\(dtype) tensor of shape \(shape) at byte \(offset) does not fit in \(available) bytes"
        case let .elementCountMismatch(shape, count):
            "shape \(shape) needs \(shape.count) elements, got \(count)"
        }
    }
}
