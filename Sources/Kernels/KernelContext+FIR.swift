internal import CKernels

extension KernelContext {
    /// Output shape of `upfirdn2d`.
    public static func upfirdn2dOutputShape(_ s: ImageShape, taps k: Int, up: Int, down: Int, padding p: FIRPadding) -> ImageShape {
        ImageShape(n: s.n, c: s.c, h: (s.h * up + p.y0 + p.y1 - k) / down + 1, w: (s.w * up + p.x0 + p.x1 - k) / down + 1)
    }

    /// `upfirdn2d` (zero-stuff by `up`, pad, FIR, keep every `down`-th sample) on every plane of
    /// `x`, as `Reference.upfirdn2d`; planes run in parallel.
    public func upfirdn2d(_ x: UnsafeBufferPointer<Float>, shape: ImageShape, filter: FIRFilter, up: Int, down: Int,
                          padding: FIRPadding, into y: UnsafeMutableBufferPointer<Float>) {
        precondition(up >= 1 && down >= 1, "upfirdn2d: up and down must be ≥ 1")
        let out = Self.upfirdn2dOutputShape(shape, taps: filter.taps, up: up, down: down, padding: padding)
        precondition(out.h > 0 && out.w > 0, "upfirdn2d: no output for \(shape)")
        precondition(shape.h * up + padding.y0 + padding.y1 >= filter.taps && shape.w * up + padding.x0 + padding.x1 >= filter.taps,
                     "upfirdn2d: padded input smaller than the filter")
        precondition(x.count >= shape.count, "upfirdn2d: x has \(x.count) floats, needs \(shape.count)")
        precondition(y.count >= out.count, "upfirdn2d: y has \(y.count) floats, needs \(out.count)")
        if shape.n * shape.c == 0 { return }
        filter.hTaps.withUnsafeBufferPointer { ht in
            filter.vTaps.withUnsafeBufferPointer { vt in
                filter.taps2D.withUnsafeBufferPointer { t2 in
                    var a = ck_fir_args()
                    a.planes = shape.n * shape.c
                    a.h = shape.h
                    a.w = shape.w
                    a.x = x.baseAddress
                    a.y = y.baseAddress
                    a.up = Int32(up)
                    a.down = Int32(down)
                    a.pad_x0 = Int32(padding.x0)
                    a.pad_x1 = Int32(padding.x1)
                    a.pad_y0 = Int32(padding.y0)
                    a.pad_y1 = Int32(padding.y1)
                    a.taps = Int32(filter.taps)
                    a.separable = filter.isSeparable ? 1 : 0
                    a.h_taps = ht.baseAddress
                    a.v_taps = vt.baseAddress
                    a.taps2d = t2.baseAddress
                    ck_upfirdn2d(raw, &a)
                }
            }
        }
    }
}
