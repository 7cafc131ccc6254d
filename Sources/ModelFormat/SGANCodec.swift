public import Tensors

/// Conversion between float32 values and the storage dtypes (Schemas/SGAN.md §5): f16 and bf16
/// round to nearest even, int8 is symmetric per output channel (axis 0).
public enum SGANCodec {
    /// Why a tensor cannot be stored as asked (the caller adds file and tensor).
    public enum Failure: Error, Equatable {
        case notRepresentable(index: Int, value: Float, dtype: DType)
        case unsupportedSourceDType(DType)
    }

    /// Hands `body` the stored bytes of `tensor` as `dtype` and, for i8, the per-channel scales.
    /// f32 → f32 passes the tensor's own bytes (no copy); other conversions use one temporary
    /// buffer for this tensor only.
    public static func encode<R>(_ tensor: Tensor, as dtype: DType,
                                 _ body: (UnsafeRawBufferPointer, [Float]?) throws -> R) throws -> R {
        guard tensor.dtype.isFloatingPoint else { throw Failure.unsupportedSourceDType(tensor.dtype) }
        if dtype == tensor.dtype && dtype != .i8 {
            return try tensor.withUnsafeBytes { try body($0, nil) }
        }
        let n = tensor.shape.count
        return try withFloats(tensor) { (src: UnsafeBufferPointer<Float>) throws -> R in
            switch dtype {
            case .f32:
                return try body(UnsafeRawBufferPointer(src), nil)
            case .f16, .bf16:
                let out = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: max(n, 1))
                defer { out.deallocate() }
                for i in 0..<n {
                    let v = src[i]
                    let bits = dtype == .f16 ? HalfPrecision.f16Bits(from: v) : HalfPrecision.bf16Bits(from: v)
                    // A finite value must stay finite (f16 tops out at 65504).
                    if v.isFinite && bits & 0x7FFF >= (dtype == .f16 ? 0x7C00 : 0x7F80) {
                        throw Failure.notRepresentable(index: i, value: v, dtype: dtype)
                    }
                    out[i] = bits.littleEndian
                }
                return try body(UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: out[0..<n])), nil)
            case .i8:
                let channels = tensor.shape.dims.first ?? 1
                let inner = channels == 0 ? 0 : n / channels
                var scales = [Float](repeating: 0, count: channels)
                let out = UnsafeMutableBufferPointer<Int8>.allocate(capacity: max(n, 1))
                defer { out.deallocate() }
                for c in 0..<channels {
                    let row = c * inner
                    var maxAbs: Float = 0
                    for j in 0..<inner {
                        let v = src[row + j]
                        guard v.isFinite else { throw Failure.notRepresentable(index: row + j, value: v, dtype: .i8) }
                        maxAbs = max(maxAbs, abs(v))
                    }
                    let scale = maxAbs / 127
                    scales[c] = scale
                    for j in 0..<inner {
                        out[row + j] = scale == 0 ? 0 : quantize(src[row + j] / scale)
                    }
                }
                return try body(UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: out[0..<n])), scales)
            default:
                throw Failure.unsupportedSourceDType(dtype)
            }
        }
    }

    /// round_half_even(x) clamped to ±127.
    @inline(__always)
    static func quantize(_ x: Float) -> Int8 {
        let r = x.rounded(.toNearestOrEven)
        return r >= 127 ? 127 : (r <= -127 ? -127 : Int8(r))
    }

    /// The tensor's elements as float32 (borrowed for f32, converted otherwise).
    private static func withFloats<R>(_ t: Tensor, _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        if t.dtype == .f32 {
            return try t.withUnsafeBytes { raw in
                // Tensor storage is at least 4-byte aligned for f32 data that the project allocates
                // (64-byte allocations) or maps (aligned regions); copy when it is not.
                if UInt(bitPattern: raw.baseAddress) % 4 == 0 || raw.count == 0 {
                    return try body(raw.bindMemoryIfAligned())
                }
                let copy = t.floats()
                return try copy.withUnsafeBufferPointer(body)
            }
        }
        let copy = t.floats()
        return try copy.withUnsafeBufferPointer(body)
    }

    /// float32 values of `count` elements stored as `dtype` in `bytes` (i8 with `scales`), written
    /// to `out`. The caller has checked all sizes.
    static func decode(_ bytes: UnsafeRawBufferPointer, dtype: DType, count: Int, scales: UnsafeRawBufferPointer?,
                       into out: UnsafeMutableBufferPointer<Float>) {
        switch dtype {
        case .f32:
            for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        case .f16:
            for i in 0..<count { out[i] = HalfPrecision.float(fromF16Bits: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .bf16:
            for i in 0..<count { out[i] = HalfPrecision.float(fromBF16Bits: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .i8:
            guard let scales else { return }
            let channels = scales.count / 4
            let inner = channels == 0 ? 0 : count / channels
            for c in 0..<channels {
                let s = Float(bitPattern: UInt32(littleEndian: scales.loadUnaligned(fromByteOffset: 4 * c, as: UInt32.self)))
                let row = c * inner
                for j in 0..<inner { out[row + j] = Float(Int8(bitPattern: bytes[row + j])) * s }
            }
        default:
            preconditionFailure("not a storage dtype: \(dtype)")
        }
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes as float32 values; the caller has checked 4-byte alignment.
    fileprivate func bindMemoryIfAligned() -> UnsafeBufferPointer<Float> {
        guard let base = baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: count / 4)
    }
}
