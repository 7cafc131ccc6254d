internal import CKernels

/// Winograd variants for 3×3 convolutions. For `conv2d` (`.conv` layout), F(m, 3): output tiles
/// of m×m pixels from (m + 2)² input tiles. Multiplies per output pixel and channel pair: 9
/// direct, 4 for F(2,3), 2.25 for F(4,3); the larger tile rounds less accurately in float32 (see
/// WinogradTests). For the stride-2 transposed convolution (`.transposed` layout), `.f3x2`:
/// F(3,2) on each axis's even output phase (a 2-tap correlation) beside its odd phase (1 tap),
/// 49 products per 3×3 input pixels, 5.44 multiplies per input pixel and channel pair instead of 9
/// (see UpsamplingWinogradTests).
public enum WinogradTile: Int, Sendable, Hashable, CustomStringConvertible {
    case f2x3 = 2
    case f4x3 = 4
    /// The transposed convolution's phases (`.transposed` layout only).
    case f3x2 = 3

    public var description: String { self == .f3x2 ? "F(3,2) phases" : "F(\(rawValue),3)" }
}

/// Convolution weights [O, I, k, k] (OIHW), packed once at load time as the GEMM's A operand,
/// with the weight gain folded in. The modulated convolution uses them unchanged: the styles
/// scale the input channels and the demodulation coefficients scale the output channels, so the
/// weights never repack per image.
public struct PackedConvWeights: Sendable {
    /// Which convolution the weights are packed for.
    public enum Layout: Sendable, Hashable {
        /// `KernelContext.conv2d`: A [O × I·k·k].
        case conv
        /// `KernelContext.convTranspose2dStride2`: A [O·k·k × I] (same [O, I, k, k] input weight).
        case transposed
    }

    public let outChannels: Int
    public let inChannels: Int
    public let kernel: Int
    public let layout: Layout
    /// The Winograd form carried (3×3 weights only: F(m,3) for `.conv`, `.f3x2` for `.transposed`),
    /// if packed with one.
    public let winogradTile: WinogradTile?
    /// Whether the direct (GEMM) form is kept; without it `conv2d` and `convTranspose2dStride2`
    /// run Winograd at every size.
    public let hasDirectForm: Bool
    let packed: [Float]
    /// For each of the t² transform positions (`.conv`) or the 25 weight groups (`.f3x2`), the
    /// transformed weights packed as a GEMM A [O × I] (empty without a Winograd form).
    let winograd: [Float]
    /// Σ over the k×k taps of (w·gain)², per (o, i), stored transposed [I, O].
    let squareSums: [Float]

    /// - Parameters:
    ///   - winograd: also pack a Winograd transform of the weights (3×3 only): F(m, 3) for the
    ///     `.conv` layout, which `KernelContext.conv2d` then uses on large enough maps, at t²/9 times
    ///     the weights' bytes (16/9 for F(2,3), 4× for F(4,3)); `.f3x2` for the `.transposed`
    ///     layout, which `KernelContext.convTranspose2dStride2` uses on inputs of at least 32×32, at
    ///     25/9 times the weights' bytes.
    ///   - directForm: keep the direct form too (with `winograd` only; default). Without it the
    ///     weights take (t²/9 or 25/9) instead of 1 + that times their bytes, and the convolution
    ///     runs Winograd on every map, small ones included.
    public init(weight: UnsafeBufferPointer<Float>, outChannels: Int, inChannels: Int, kernel: Int,
                weightGain: Float = 1, layout: Layout = .conv, winograd: WinogradTile? = nil, directForm: Bool = true) {
        precondition(outChannels > 0 && inChannels > 0 && kernel > 0, "PackedConvWeights: sizes must be positive")
        precondition(winograd == nil || (kernel == 3 && (winograd == .f3x2) == (layout == .transposed)),
                     "PackedConvWeights: Winograd needs 3×3 weights, .f3x2 exactly for the .transposed layout")
        precondition(directForm || winograd != nil, "PackedConvWeights: no direct form needs a Winograd form")
        let kk = kernel * kernel
        precondition(weight.count >= outChannels * inChannels * kk,
                     "PackedConvWeights: weight has \(weight.count) floats, needs \(outChannels * inChannels * kk)")
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.kernel = kernel
        self.layout = layout
        let count: Int = switch layout {
        case .conv: directForm ? Int(ck_packed_a_count(outChannels, inChannels * kk)) : 0
        case .transposed: directForm ? Int(ck_packed_a_count(outChannels * kk, inChannels)) : 0
        }
        hasDirectForm = directForm
        var sums = [Float](repeating: 0, count: outChannels * inChannels)
        packed = sums.withUnsafeMutableBufferPointer { sq in
            [Float](unsafeUninitializedCapacity: count) { buf, initialized in
                switch layout {
                case .conv:
                    ck_pack_conv_weights(outChannels, inChannels, Int32(kernel), weight.baseAddress, weightGain,
                                         count > 0 ? buf.baseAddress : nil, sq.baseAddress)
                case .transposed:
                    ck_pack_conv_transpose_weights(outChannels, inChannels, Int32(kernel), weight.baseAddress, weightGain,
                                                   count > 0 ? buf.baseAddress : nil, sq.baseAddress)
                }
                initialized = count
            }
        }
        squareSums = sums
        winogradTile = winograd
        if winograd == .f3x2 {
            let wcount = Int(ck_winograd_up_weights_count(outChannels, inChannels))
            var work = [Float](repeating: 0, count: outChannels * inChannels)
            self.winograd = work.withUnsafeMutableBufferPointer { u in
                [Float](unsafeUninitializedCapacity: wcount) { buf, initialized in
                    ck_pack_winograd_up_weights(outChannels, inChannels, weight.baseAddress, weightGain, buf.baseAddress, u.baseAddress)
                    initialized = wcount
                }
            }
        } else if let winograd {
            let m = Int32(winograd.rawValue), wcount = Int(ck_winograd_weights_count(outChannels, inChannels, m))
            self.winograd = [Float](unsafeUninitializedCapacity: wcount) { buf, initialized in
                ck_pack_winograd_weights(outChannels, inChannels, m, weight.baseAddress, weightGain, buf.baseAddress)
                initialized = wcount
            }
        } else {
            self.winograd = []
        }
    }

    public init(weight: [Float], outChannels: Int, inChannels: Int, kernel: Int, weightGain: Float = 1, layout: Layout = .conv,
                winograd: WinogradTile? = nil, directForm: Bool = true) {
        self = weight.withUnsafeBufferPointer {
            PackedConvWeights(weight: $0, outChannels: outChannels, inChannels: inChannels, kernel: kernel, weightGain: weightGain,
                              layout: layout, winograd: winograd, directForm: directForm)
        }
    }

    /// Bytes of the packed weights (plus the square sums and the Winograd form).
    public var byteCount: Int { (packed.count + squareSums.count + winograd.count) * MemoryLayout<Float>.stride }

    /// Bytes of the Winograd form alone (0 without one).
    public var winogradByteCount: Int { winograd.count * MemoryLayout<Float>.stride }

    /// StyleGAN2 demodulation coefficients:
    /// d[s, o] = 1 / √(Σᵢ (styles[s, i]·styleGain)² · Σ_k w[o, i, k]² + epsilon),
    /// with Σ_k w² precomputed at packing. `styles` is [batch, inChannels], `d` [batch, outChannels].
    public func demodulation(styles: UnsafeBufferPointer<Float>, batch: Int, styleGain: Float, epsilon: Float = 1e-8,
                             into d: UnsafeMutableBufferPointer<Float>) {
        precondition(styles.count >= batch * inChannels, "demodulation: styles has \(styles.count) floats, needs \(batch * inChannels)")
        precondition(d.count >= batch * outChannels, "demodulation: d has \(d.count) floats, needs \(batch * outChannels)")
        if batch == 0 { return }
        squareSums.withUnsafeBufferPointer { sq in
            ck_demodulation(batch, inChannels, outChannels, styles.baseAddress, styleGain, sq.baseAddress, epsilon, d.baseAddress)
        }
    }

    /// Output shape of `conv2d` (stride 1, zero padding `padding`) on `input`.
    public func conv2dOutputShape(_ input: ImageShape, padding: Int) -> ImageShape {
        ImageShape(n: input.n, c: outChannels, h: input.h + 2 * padding - kernel + 1, w: input.w + 2 * padding - kernel + 1)
    }

    /// Output shape of `convTranspose2dStride2` on `input`.
    public func convTranspose2dOutputShape(_ input: ImageShape) -> ImageShape {
        ImageShape(n: input.n, c: outChannels, h: 2 * (input.h - 1) + kernel, w: 2 * (input.w - 1) + kernel)
    }
}
