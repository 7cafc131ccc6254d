public import Tensors

extension Image {
    /// One generator output value as a pixel, exactly as the NVlabs scripts do it:
    /// `(x * 127.5 + 128).clamp(0, 255).to(torch.uint8)` in float32, truncating toward zero
    /// after the clamp (so 1.0 → 255.5 → 255 and -1.0 → 0.5 → 0). NaN, which the reference
    /// leaves to the platform's float→int conversion, becomes 0 (x86's result).
    @inlinable
    public static func pixelValue(_ x: Float) -> UInt8 {
        let scaled: Float = x * 127.5
        let v: Float = scaled + 128  // two roundings, as PyTorch and NumPy (no fused multiply-add)
        if v.isNaN { return 0 }
        return UInt8(min(max(v, 0), 255).rounded(.towardZero))
    }

    /// Image `index` of a generator output: a floating-point tensor [N, C, H, W] (or [C, H, W],
    /// where `index` must be 0) with values about [-1, 1]; C = 1 gray, 3 RGB, 4 RGBA.
    public init(generatorOutput tensor: Tensor, index: Int = 0) throws(ImageError) {
        let dims = tensor.shape.dims
        let notImage = { (why: String) in ImageError.notAnImageTensor(shape: tensor.shape, dtype: tensor.dtype, reason: why) }
        guard tensor.dtype.isFloatingPoint else { throw notImage("expected floating-point values") }
        guard dims.count == 3 || dims.count == 4 else { throw notImage("expected [N, C, H, W] or [C, H, W]") }
        let batch = dims.count == 4 ? dims[0] : 1
        guard (0..<batch).contains(index) else { throw .imageIndexOutOfRange(index: index, count: batch) }
        let (c, h, w) = (dims[dims.count - 3], dims[dims.count - 2], dims[dims.count - 1])
        guard [1, 3, 4].contains(c) else { throw notImage("\(c) channels (expected 1, 3 or 4)") }
        try self.init(width: w, height: h, channels: c)

        // NCHW planes → interleaved HWC.
        let plane = h * w
        let base = index * c * plane
        pixels.withUnsafeMutableBufferPointer { out in
            tensor.withView { view in
                for ch in 0..<c {
                    for i in 0..<plane {
                        out[i * c + ch] = Image.pixelValue(view.float(at: base + ch * plane + i))
                    }
                }
            }
        }
    }
}
