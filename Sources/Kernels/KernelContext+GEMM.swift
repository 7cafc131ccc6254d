internal import CKernels

/// Sizes of C[m×n] = A[m×k] · B[k×n].
public struct GEMMShape: Hashable, Sendable, CustomStringConvertible {
    public var m: Int, n: Int, k: Int
    public init(m: Int, n: Int, k: Int) {
        precondition(m >= 0 && n >= 0 && k >= 0, "GEMMShape: negative size")
        self.m = m
        self.n = n
        self.k = k
    }
    /// 2·m·n·k.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    public var description: String { "m=\(m) n=\(n) k=\(k)" }
}

extension KernelContext {
    /// C = A·B, or C = A·B + C when `accumulate`; row-major float32 with leading dimensions
    /// (A(i, p) = a[i·lda + p], B(p, j) = b[p·ldb + j], C(i, j) = c[i·ldc + j]).
    ///
    /// Packed and cache-blocked; split over rows or columns of C (never over k), so every element
    /// is summed in the same order for any thread count.
    public func sgemm(_ shape: GEMMShape, a: UnsafeBufferPointer<Float>, lda: Int,
                      b: UnsafeBufferPointer<Float>, ldb: Int,
                      c: UnsafeMutableBufferPointer<Float>, ldc: Int, accumulate: Bool = false) {
        let (m, n, k) = (shape.m, shape.n, shape.k)
        precondition(lda >= k && ldb >= n && ldc >= n, "sgemm: leading dimension smaller than a row")
        if m == 0 || n == 0 { return }
        if k > 0 {
            precondition(a.count >= (m - 1) * lda + k, "sgemm: A has \(a.count) floats, needs \((m - 1) * lda + k)")
            precondition(b.count >= (k - 1) * ldb + n, "sgemm: B has \(b.count) floats, needs \((k - 1) * ldb + n)")
        }
        precondition(c.count >= (m - 1) * ldc + n, "sgemm: C has \(c.count) floats, needs \((m - 1) * ldc + n)")
        var args = ck_gemm_args()
        args.m = m
        args.n = n
        args.k = k
        args.a = a.baseAddress
        args.lda = lda
        args.b = b.baseAddress
        args.ldb = ldb
        args.c = c.baseAddress
        args.ldc = ldc
        args.accumulate = accumulate ? 1 : 0
        args.row_scale_div = 1
        ck_sgemm(raw, &args)
    }

    /// y[s, o] = epilogue(Σᵢ x[s, i] · w[o, i] · weightGain, bias[o]) — `Reference.dense` on the
    /// packed GEMM (weights packed once, gain folded in).
    public func dense(_ x: UnsafeBufferPointer<Float>, n: Int, weights: PackedDenseWeights,
                      bias: UnsafeBufferPointer<Float>?, epilogue: Epilogue, into y: UnsafeMutableBufferPointer<Float>) {
        let (inF, outF) = (weights.inFeatures, weights.outFeatures)
        precondition(x.count >= n * inF, "dense: x has \(x.count) floats, needs \(n * inF)")
        precondition(y.count >= n * outF, "dense: y has \(y.count) floats, needs \(n * outF)")
        if let bias { precondition(bias.count >= outF, "dense: bias has \(bias.count) floats, needs \(outF)") }
        if n == 0 || outF == 0 { return }
        weights.packed.withUnsafeBufferPointer { wp in
            var args = ck_gemm_args()
            args.m = n
            args.n = outF
            args.k = inF
            args.a = x.baseAddress
            args.lda = inF
            args.b = wp.baseAddress
            args.ldb = outF
            args.b_packed = 1
            args.c = y.baseAddress
            args.ldc = outF
            args.row_scale_div = 1
            ck_sgemm(raw, &args)
        }
        applyEpilogue(y.baseAddress!, n: n, c: outF, plane: 1, channelScale: nil, noise: nil, noiseSampleStride: 0,
                      strength: nil, strengthPerChannel: false, bias: bias, epilogue: epilogue)
    }
}
