internal import CKernels

/// How `KernelContext.conv2d` runs. `.packed` and `.direct` run the same micro-kernel arithmetic
/// in the same order, so they give bit-identical results; only speed differs. `.winograd` does
/// fewer multiplies and rounds differently.
public enum ConvAlgorithm: Sendable, Hashable {
    /// Winograd when the weights carry a Winograd form and the output is large enough for it
    /// (at least 4m × 4m pixels) or they have no direct form; else `.direct` for maps at least
    /// 16 pixels wide (whole 16-pixel strips), else `.packed`.
    case automatic
    /// Winograd with the transform the weights carry (they must have been packed with one).
    case winograd
    /// Implicit im2col packed into B panels (any shape).
    case packed
    /// B read in place from a zero-padded, scaled band of input rows (no im2col).
    case direct
}

extension KernelContext {
    /// Convolution (PyTorch `conv2d`: correlation), stride 1, zero padding `padding` on every side,
    /// of a batch `x` [n, I, h, w] into `y` [n, O, h + 2p − k + 1, w + 2p − k + 1] (`y` must not
    /// overlap `x`), on the packed GEMM micro-kernel: with the input read in place from padded row
    /// bands (`.direct`, maps ≥ 16 wide) or through an implicit im2col packer (`.packed`); no
    /// column buffer either way.
    ///
    /// Modulated form (StyleGAN2): `inputScale` [n, I] multiplies input channel i of sample s by
    /// `inputScale[s·I + i]·inputScaleGain` (the styles and the style gain), and `outputScale`
    /// [n, O] multiplies output channel o by `outputScale[s·O + o]` (the demodulation coefficients
    /// from `PackedConvWeights.demodulation`).
    ///
    /// `rows`: only these output rows, into `y` [n, O, rows.count, ow] (a band of the output, read
    /// from the input rows and zero padding it needs; bands that start on multiples of the
    /// Winograd tile give the bits of the whole map's rows).
    public func conv2d(_ x: UnsafeBufferPointer<Float>, shape: ImageShape, weights: PackedConvWeights, padding: Int,
                       inputScale: UnsafeBufferPointer<Float>? = nil, inputScaleGain: Float = 1,
                       outputScale: UnsafeBufferPointer<Float>? = nil, algorithm: ConvAlgorithm = .automatic,
                       rows: Range<Int>? = nil, into y: UnsafeMutableBufferPointer<Float>) {
        precondition(weights.layout == .conv, "conv2d: weights packed for the transposed convolution")
        precondition(algorithm != .winograd || weights.winogradTile != nil, "conv2d: .winograd on weights packed without a Winograd form")
        precondition(weights.hasDirectForm || algorithm == .automatic || algorithm == .winograd,
                     "conv2d: \(algorithm) on weights packed without their direct form")
        let full = weights.conv2dOutputShape(shape, padding: padding)
        precondition(padding >= 0 && full.h > 0 && full.w > 0, "conv2d: no output for \(shape) with k=\(weights.kernel) p=\(padding)")
        let band = rows ?? 0..<full.h
        precondition(band.lowerBound >= 0 && band.upperBound <= full.h && !band.isEmpty, "conv2d: rows \(band) outside 0..<\(full.h)")
        let out = ImageShape(n: full.n, c: full.c, h: band.count, w: full.w)
        let code: Int32 = switch algorithm {
        case .automatic: Int32(weights.hasDirectForm ? CK_CONV_AUTO : CK_CONV_WINOGRAD)
        case .packed: Int32(CK_CONV_PACKED)
        case .direct: Int32(CK_CONV_DIRECT)
        case .winograd: Int32(CK_CONV_WINOGRAD)
        }
        run(x, shape: shape, weights: weights, out: out, padding: padding, inputScale: inputScale, inputScaleGain: inputScaleGain,
            outputScale: outputScale, algorithm: code, rows: band, into: y, ck_conv2d)
    }

    /// PyTorch `conv_transpose2d` with stride 2 and no padding, weights given in conv layout
    /// [O, I, k, k] (packed with `layout: .transposed`) exactly as `Reference.convTranspose2dStride2`
    /// takes them: `y` [n, O, 2(h − 1) + k, 2(w − 1) + k]. GEMM into a column buffer (chunks of input
    /// rows) then col2im, or, with weights packed with `winograd: .f3x2`, Winograd on the output's
    /// four phases (`algorithm`: `.automatic` takes it on inputs of at least 32×32, where it measured
    /// faster, or when the weights have no direct form; `.winograd` always; `.packed` / `.direct`
    /// never). `inputScale` /
    /// `outputScale` as in `conv2d`.
    public func convTranspose2dStride2(_ x: UnsafeBufferPointer<Float>, shape: ImageShape, weights: PackedConvWeights,
                                       inputScale: UnsafeBufferPointer<Float>? = nil, inputScaleGain: Float = 1,
                                       outputScale: UnsafeBufferPointer<Float>? = nil, algorithm: ConvAlgorithm = .automatic,
                                       into y: UnsafeMutableBufferPointer<Float>) {
        precondition(weights.layout == .transposed, "convTranspose2dStride2: weights packed for conv2d")
        precondition(shape.h > 0 && shape.w > 0, "convTranspose2dStride2: empty input \(shape)")
        run(x, shape: shape, weights: weights, out: weights.convTranspose2dOutputShape(shape), padding: 0,
            inputScale: inputScale, inputScaleGain: inputScaleGain, outputScale: outputScale,
            algorithm: Self.transposedCode(algorithm, weights), into: y, ck_conv_transpose2d_s2)
    }

    /// `convTranspose2dStride2` then `upfirdn2d(up: 1, down: 1, padding: padding)` with the separable
    /// `filter`, fused: each thread keeps only a band of rows of the transposed convolution's output
    /// per channel and filters rows as they complete, so the unfiltered map (e.g. 32 × 1025² floats,
    /// 134 MB, at 1024²) is never stored, and read and written once less. Bit-identical to the two
    /// calls. `y` is [n, O, oh + y0 + y1 − taps + 1, ow + x0 + x1 − taps + 1] for the transposed
    /// output oh × ow; the padding on each axis must be smaller than the filter (x0 + x1 < taps,
    /// y0 + y1 < taps; StyleGAN2's up-sampling uses 1 + 1 with 4 taps). `algorithm` as in the
    /// unfused call; the Winograd form feeds the same FIR bands (it needs taps ≤ 7 to split rows
    /// between threads, else it splits channels) and matches the unfused Winograd result then
    /// filtered to float32 rounding, not bit for bit.
    ///
    /// With `epilogue`, each output row then gets `biasNoiseAct`'s noise (`noise`, `noiseStrength`),
    /// `bias` and `epilogue` while it is in cache: the bits of calling `biasNoiseAct` on `y` after.
    ///
    /// `rows`: only these rows of the filtered output, into `y` [n, O, rows.count, ow] (from the
    /// input rows they need; the same bits as the whole output's rows). The direct form only:
    /// the weights must have it, and `algorithm` must not be `.winograd`.
    public func convTranspose2dStride2(_ x: UnsafeBufferPointer<Float>, shape: ImageShape, weights: PackedConvWeights,
                                       inputScale: UnsafeBufferPointer<Float>? = nil, inputScaleGain: Float = 1,
                                       outputScale: UnsafeBufferPointer<Float>? = nil, filter: FIRFilter, padding: FIRPadding,
                                       algorithm: ConvAlgorithm = .automatic,
                                       noise: UnsafeBufferPointer<Float>? = nil, noiseStrength: UnsafeBufferPointer<Float>? = nil,
                                       bias: UnsafeBufferPointer<Float>? = nil, epilogue: Epilogue? = nil, rows: Range<Int>? = nil,
                                       into y: UnsafeMutableBufferPointer<Float>) {
        precondition(weights.layout == .transposed, "convTranspose2dStride2: weights packed for conv2d")
        precondition(shape.h > 0 && shape.w > 0, "convTranspose2dStride2: empty input \(shape)")
        precondition(filter.isSeparable, "convTranspose2dStride2: the fused FIR must be separable")
        precondition(padding.x0 >= 0 && padding.x1 >= 0 && padding.y0 >= 0 && padding.y1 >= 0 && padding.x0 + padding.x1 < filter.taps
                     && padding.y0 + padding.y1 < filter.taps, "convTranspose2dStride2: FIR padding \(padding) too large to fuse")
        let t = weights.convTranspose2dOutputShape(shape)
        let out = Self.upfirdn2dOutputShape(t, taps: filter.taps, up: 1, down: 1, padding: padding)
        precondition(out.h > 0 && out.w > 0, "convTranspose2dStride2: no output for \(shape) with the FIR")
        if let rows {
            precondition(rows.lowerBound >= 0 && rows.upperBound <= out.h && !rows.isEmpty, "convTranspose2dStride2: rows \(rows) outside 0..<\(out.h)")
            precondition(weights.hasDirectForm && algorithm != .winograd, "convTranspose2dStride2: rows need the direct form")
        }
        let written = ImageShape(n: out.n, c: out.c, h: rows?.count ?? out.h, w: out.w)
        filter.hTaps.withUnsafeBufferPointer { ht in
            filter.vTaps.withUnsafeBufferPointer { vt in
                var f = ck_fir_args()
                f.h = t.h
                f.w = t.w
                f.up = 1
                f.down = 1
                f.pad_x0 = Int32(padding.x0)
                f.pad_x1 = Int32(padding.x1)
                f.pad_y0 = Int32(padding.y0)
                f.pad_y1 = Int32(padding.y1)
                f.taps = Int32(filter.taps)
                f.separable = 1
                f.h_taps = ht.baseAddress
                f.v_taps = vt.baseAddress
                var e = ck_epilogue_args()
                if let epilogue {
                    if let bias { precondition(bias.count >= out.c, "convTranspose2dStride2: bias needs \(out.c) floats") }
                    let (stride, perChannel) = Self.noiseLayout(noise, strength: noiseStrength, shape: out)
                    e = Self.epilogueArgs(n: out.n, c: out.c, plane: out.plane, channelScale: nil, noise: noise?.baseAddress,
                                          noiseSampleStride: stride, strength: noiseStrength?.baseAddress, strengthPerChannel: perChannel,
                                          bias: bias, epilogue: epilogue, addend: nil)
                }
                withUnsafePointer(to: e) { ep in
                    run(x, shape: shape, weights: weights, out: written, padding: 0, inputScale: inputScale, inputScaleGain: inputScaleGain,
                        outputScale: outputScale, algorithm: Self.transposedCode(algorithm, weights), fir: &f,
                        epilogue: epilogue == nil ? nil : ep, rows: rows, into: y, ck_conv_transpose2d_s2)
                }
            }
        }
    }

    /// The C algorithm code of a transposed convolution (validated against the weights' forms).
    private static func transposedCode(_ algorithm: ConvAlgorithm, _ weights: PackedConvWeights) -> Int32 {
        precondition(algorithm != .winograd || weights.winogradTile != nil,
                     "convTranspose2dStride2: .winograd on weights packed without a Winograd form")
        precondition(weights.hasDirectForm || algorithm == .automatic || algorithm == .winograd,
                     "convTranspose2dStride2: \(algorithm) on weights packed without their direct form")
        return switch algorithm {
        case .automatic: Int32(weights.hasDirectForm ? CK_CONV_AUTO : CK_CONV_WINOGRAD)
        case .winograd: Int32(CK_CONV_WINOGRAD)
        case .packed, .direct: Int32(CK_CONV_DIRECT)
        }
    }

    private func run(_ x: UnsafeBufferPointer<Float>, shape: ImageShape, weights: PackedConvWeights, out: ImageShape, padding: Int,
                     inputScale: UnsafeBufferPointer<Float>?, inputScaleGain: Float, outputScale: UnsafeBufferPointer<Float>?,
                     algorithm: Int32, fir: UnsafePointer<ck_fir_args>? = nil, epilogue: UnsafePointer<ck_epilogue_args>? = nil,
                     rows: Range<Int>? = nil, into y: UnsafeMutableBufferPointer<Float>,
                     _ body: (OpaquePointer?, UnsafePointer<ck_conv_args>?) -> Void) {
        precondition(shape.c == weights.inChannels, "convolution: input has \(shape.c) channels, weights expect \(weights.inChannels)")
        precondition(x.count >= shape.count, "convolution: x has \(x.count) floats, needs \(shape.count) for \(shape)")
        precondition(y.count >= out.count, "convolution: y has \(y.count) floats, needs \(out.count) for \(out)")
        if let inputScale { precondition(inputScale.count >= shape.n * shape.c, "convolution: inputScale needs [n, I] = \(shape.n * shape.c) floats") }
        if let outputScale { precondition(outputScale.count >= shape.n * out.c, "convolution: outputScale needs [n, O] = \(shape.n * out.c) floats") }
        if shape.n == 0 { return }
        weights.packed.withUnsafeBufferPointer { wp in
            weights.winograd.withUnsafeBufferPointer { wino in
                var args = ck_conv_args()
                if let tile = weights.winogradTile {
                    args.winograd = wino.baseAddress
                    args.winograd_m = Int32(tile.rawValue)
                }
                args.n = shape.n
                args.c = shape.c
                args.h = shape.h
                args.w = shape.w
                args.x = x.baseAddress
                args.packed = wp.baseAddress
                args.out_ch = weights.outChannels
                args.kernel = Int32(weights.kernel)
                args.padding = Int32(padding)
                args.in_scale = inputScale?.baseAddress
                args.in_scale_gain = inputScaleGain
                args.out_scale = outputScale?.baseAddress
                args.y = y.baseAddress
                args.algorithm = algorithm
                args.fir = fir
                args.epilogue = epilogue
                if let rows {
                    args.row0 = rows.lowerBound
                    args.rows = rows.count
                }
                body(raw, &args)
            }
        }
    }
}
