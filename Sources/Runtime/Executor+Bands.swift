import Foundation
import Kernels

/// Whether planned runs do a convolution and its readers up to the image in bands of rows
/// (`BandedConvStep`): at 1024² that keeps the last convolution's 134 MB output from ever being
/// stored whole.
package enum ConvBanding: Sendable, Hashable {
    /// Bands sized from the shape (`Executor.bandRows`).
    case automatic
    /// Never: every step stores its whole output (as the per-layer path always does).
    case off
    /// Bands of this many output rows (tests: many bands, a partial last band).
    case rows(Int)

    /// The policy for generators created in this task: `STYLEGAN_BANDS` (`off` or a row count;
    /// read here only) unless bound with `ConvBanding.$current.withValue(…)`.
    @TaskLocal package static var current: ConvBanding = {
        let value = ProcessInfo.processInfo.environment["STYLEGAN_BANDS"]
        if value == "off" { return .off }
        if let rows = value.flatMap({ Int($0) }), rows > 0 { return .rows(rows) }
        return .automatic
    }()
}

extension Executor {
    /// `steps` with each convolution that pads (3×3, padding 1) and keeps the map size, whose
    /// output is read only by noise + bias + activation (fused), whose output is read only by a
    /// 1×1 convolution (to-RGB), whose output is read only by bias + activation (+ the skip
    /// image, fused), replaced by one `BandedConvStep` where the last of them was. StyleGAN2
    /// skip and orig generators end so. When the convolution's input is the output of an
    /// up-sampling convolution (FIR and epilogue fused, direct form) that nothing else reads, the
    /// band takes that one in too. `output` is the plan's output value. No noise is drawn
    /// between the chain's first noise and its end, so random noise keeps its order.
    func banded(_ steps: [Step], output: Int) -> [Step] {
        let policy = banding
        if policy == .off { return steps }
        let soleReader = Self.soleReaders(steps, output: output)
        let producer = Dictionary(steps.indices.map { (steps[$0].output, $0) }, uniquingKeysWith: { a, _ in a })
        func drawsNoise(_ step: Step) -> Bool {
            switch step.kernel {
            case .noise: true
            case .conv(let c): c.epilogue != nil
            default: false
            }
        }
        var replaced: [Int: Step] = [:], absorbed = Set<Int>()
        for a in steps.indices {
            guard case .conv(let conv) = steps[a].kernel, !conv.transposed, conv.padding > 0, conv.weights.kernel == 2 * conv.padding + 1,
                  let b = soleReader(steps[a].output) else { continue }
            let noise: NoiseStep?, act: BiasActStep
            switch steps[b].kernel {
            case let .noise(z, then?): (noise, act) = (z, then)
            case let .biasAct(bias, addend: false): (noise, act) = (nil, bias)
            default: continue
            }
            guard let c = soleReader(steps[b].output), case .conv(let rgb) = steps[c].kernel, !rgb.transposed, rgb.weights.kernel == 1,
                  rgb.padding == 0, let d = soleReader(steps[c].output), case let .biasAct(rgbAct, addend) = steps[d].kernel,
                  !steps[(b + 1)..<d].contains(where: drawsNoise) else { continue }
            let first = steps[a], toRGB = steps[c], end = steps[d]
            let s = imageShape(first.inputDims[0]), p = conv.padding, o = conv.weights.outChannels
            // The up-sampling convolution feeding this one, when it can run by rows.
            let upstream = producer[first.inputs[0]].flatMap { u -> (index: Int, conv: ConvStep)? in
                guard case .conv(let up) = steps[u].kernel, up.transposed, up.fir != nil, up.weights.hasDirectForm,
                      soleReader(steps[u].output) == a, !steps[(u + 1)..<a].contains(where: drawsNoise) else { return nil }
                return (u, up)
            }
            let u = upstream?.index
            let rows = switch policy {
            case .rows(let r): min(r, s.h)
            default: Self.bandRows(channels: o, height: s.h, width: s.w)
            }
            // Inputs: the source's (input, styles) or the convolution's input, then the styles of
            // the convolution and of to-RGB, then the skip image.
            var inputs = u.map { steps[$0].inputs } ?? [first.inputs[0]], inputDims = u.map { steps[$0].inputDims } ?? [first.inputDims[0]]
            let source = upstream.map {
                BandedConvStep.SourceConv(conv: $0.conv, node: steps[$0.index].nodes[0], styles: inputs.count > 1 ? 1 : nil,
                                          output: steps[$0.index].dims)
            }
            let convStyles = first.inputs.count > 1 ? inputs.count : nil
            inputs += first.inputs.dropFirst()
            inputDims += first.inputDims.dropFirst()
            let rgbStyles = toRGB.inputs.count > 1 ? inputs.count : nil
            inputs += toRGB.inputs.dropFirst()
            inputDims += toRGB.inputDims.dropFirst()
            let skip = addend ? inputs.count : nil
            inputs += end.inputs.dropFirst()
            inputDims += end.inputDims.dropFirst()
            // Source bands of several bands: fewer of the source's padding rows done twice.
            let sourceRows = u == nil ? s.h : min(s.h, Self.sourceBands * rows)
            let step = BandedConvStep(conv: conv, noise: noise, act: act, rgb: rgb, rgbAct: rgbAct, rows: rows, sourceRows: sourceRows,
                                      convStyles: convStyles, rgbStyles: rgbStyles, skip: skip, source: source, convNode: first.nodes[0])
            var scratch = [first.scratch[0], toRGB.scratch[0], noise == nil ? 0 : steps[b].scratch[0],
                           o * rows * s.w, rgb.weights.outChannels * rows * s.w]
            if let u { scratch += steps[u].scratch + [s.c * (sourceRows + 2 * p) * s.w] }
            let chain = (u.map { [$0] } ?? []) + [a, b, c, d]
            replaced[d] = Step(kernel: .banded(step), name: end.name, inputs: inputs, inputDims: inputDims, output: end.output,
                               dims: end.dims, scratch: scratch, inPlace: false, nodes: chain.flatMap { steps[$0].nodes })
            absorbed.formUnion(chain.dropLast())
        }
        return Self.merged(steps, replacing: replaced, absorbed: absorbed)
    }

    /// Output rows per band, from the shape alone (never the thread count, so results do not
    /// depend on it): about 1M floats (4 MB) of the convolution's output, whole Winograd F(4,3)
    /// tile rows (so bands start on the unbanded tile grid), at least 16 rows (below that the
    /// kernel would not pick Winograd), at most the map: 32 rows for 32 channels at 1024².
    static func bandRows(channels: Int, height: Int, width: Int) -> Int {
        min(height, max(16, (1 << 20) / max(channels * width, 1) / 4 * 4))
    }

    /// Bands per band of a source's rows (see `BandedConvStep`): 256 rows at 1024², a 34 MB
    /// buffer. Each source band computes its 2 padding rows again, and the transposed
    /// convolution the ≈ 3 input rows its FIR and kernel reach across the band's edges (≈ 2 %
    /// more of its work at 1024², measured +2 ms per image; 128-row bands cost twice that). The
    /// chain after it keeps its 4 MB bands, whose data stays in cache from step to step.
    static let sourceBands = 8

    /// Runs `b`: per sample and band of output rows, the source's rows the band needs (when it
    /// has one), the first convolution's rows of the band (read in place from its input or the
    /// source's rows, on the unbanded Winograd tile grid), its noise, bias + activation, the
    /// to-RGB convolution, then per image channel its bias + activation (+ the skip image's rows)
    /// into the band's rows of `out`.
    func runBanded(_ b: BandedConvStep, _ step: Step, input: (Int) -> UnsafeBufferPointer<Float>, out: UnsafeMutableBufferPointer<Float>,
                   scratch: (Int) -> UnsafeMutableBufferPointer<Float>, noise mode: NoiseMode, rng: inout NumpyRandom?) {
        let s = imageShape(b.source?.output ?? step.inputDims[0])
        let convStyles = b.convStyles.map(input), rgbStyles = b.rgbStyles.map(input)
        let convScale = demodulation(b.conv, styles: convStyles, batch: s.n, into: scratch(0))
        let rgbScale = demodulation(b.rgb, styles: rgbStyles, batch: s.n, into: scratch(1))
        let source = b.source.map { u in
            let styles = u.styles.map(input)
            return (step: u, input: imageShape(step.inputDims[0]), styles: styles,
                    scale: demodulation(u.conv, styles: styles, batch: s.n, into: scratch(5)), rows: scratch(7))
        }
        let buffers = (conv: scratch(3), rgb: scratch(4))
        // Random noise [N, H, W] drawn whole first, the source's before the chain's: the numbers
        // and order of the unbanded steps.
        let sourceZ = b.source?.conv.epilogue?.noise
        var drawn: (source: UnsafeBufferPointer<Float>?, chain: UnsafeBufferPointer<Float>?) = (nil, nil)
        if case .random = mode {
            if sourceZ != nil { drawn.source = drawNoise(count: s.n * s.plane, into: scratch(6), rng: &rng) }
            if b.noise != nil { drawn.chain = drawNoise(count: s.n * s.plane, into: scratch(2), rng: &rng) }
        }
        withNoise(sourceZ, mode: mode, drawn: drawn.source, plane: s.plane) { sourceNoise in
            withNoise(b.noise, mode: mode, drawn: drawn.chain, plane: s.plane) { noise in
                for sample in 0..<s.n {
                    // Per source band (the whole map without a source), its rows, then its bands.
                    for top in stride(from: 0, to: s.h, by: b.sourceRows) {
                        let bottom = min(top + b.sourceRows, s.h)
                        let x: UnsafeBufferPointer<Float>, shape: ImageShape, lo: Int
                        if let source {
                            // The source's rows [lo, hi): the source band's and the padding rows around it.
                            let p = b.conv.padding, hi = min(bottom + p, s.h)
                            lo = max(top - p, 0)
                            let mid = UnsafeMutableBufferPointer(rebasing: source.rows[0..<(s.c * (hi - lo) * s.w)])
                            let si = source.input, o = s.c
                            upsample(source.step.conv, slice(input(0), sample * si.c * si.plane, si.c * si.plane)!,
                                     shape: ImageShape(n: 1, c: si.c, h: si.h, w: si.w), styles: slice(source.styles, sample * si.c, si.c),
                                     scale: slice(source.scale, sample * o, o),
                                     noise: sourceNoise.map { planeRows($0.planes, sample * $0.sampleStride, 0, s) }, rows: lo..<hi, into: mid)
                            (x, shape) = (UnsafeBufferPointer(mid), ImageShape(n: 1, c: s.c, h: hi - lo, w: s.w))
                        } else {
                            x = UnsafeBufferPointer(rebasing: input(0)[(sample * s.c * s.plane)..<((sample + 1) * s.c * s.plane)])
                            (shape, lo) = (ImageShape(n: 1, c: s.c, h: s.h, w: s.w), 0)
                        }
                        for r0 in stride(from: top, to: bottom, by: b.rows) {
                            let rows = min(b.rows, bottom - r0)
                            runBand(b, x: x, shape: shape, rows: (r0 - lo)..<(r0 - lo + rows), image: s, sample: sample, firstRow: r0,
                                    convStyles: convStyles, convScale: convScale, rgbStyles: rgbStyles, rgbScale: rgbScale,
                                    noise: noise.map { planeRows($0.planes, sample * $0.sampleStride, r0, s) }, skip: b.skip.map(input),
                                    buffers: buffers, out: out)
                        }
                    }
                }
            }
        }
    }

    /// Rows from `firstRow` on of the [H, W] plane at `offset` in `planes` (as many as the
    /// buffer or the map has).
    private func planeRows(_ planes: UnsafeBufferPointer<Float>, _ offset: Int, _ firstRow: Int, _ s: ImageShape) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(rebasing: planes[(offset + firstRow * s.w)..<(offset + s.plane)])
    }

    /// One band: the first convolution's output rows `rows` of its input `x` (one sample, of
    /// shape `shape`): rows `firstRow …` of the map of shape `image`; then the rest of the chain.
    private func runBand(_ b: BandedConvStep, x: UnsafeBufferPointer<Float>, shape: ImageShape, rows convRows: Range<Int>, image s: ImageShape,
                         sample: Int, firstRow r0: Int, convStyles: UnsafeBufferPointer<Float>?, convScale: UnsafeBufferPointer<Float>?,
                         rgbStyles: UnsafeBufferPointer<Float>?, rgbScale: UnsafeBufferPointer<Float>?, noise: UnsafeBufferPointer<Float>?,
                         skip: UnsafeBufferPointer<Float>?,
                         buffers: (conv: UnsafeMutableBufferPointer<Float>, rgb: UnsafeMutableBufferPointer<Float>),
                         out: UnsafeMutableBufferPointer<Float>) {
        let rows = convRows.count, w = s.w
        let (o, r) = (b.conv.weights.outChannels, b.rgb.weights.outChannels)
        let convShape = ImageShape(n: 1, c: o, h: rows, w: w)
        kernels.conv2d(x, shape: shape, weights: b.conv.weights, padding: b.conv.padding, inputScale: slice(convStyles, sample * s.c, s.c),
                       inputScaleGain: b.conv.styleGain ?? 1, outputScale: slice(convScale, sample * o, o), rows: convRows, into: buffers.conv)
        withOptionalBuffer(b.act.bias) { bias in
            withOptionalBuffer(noise == nil ? nil : b.noise?.strength) { strength in
                kernels.biasNoiseAct(buffers.conv, shape: convShape, noise: noise, noiseStrength: strength, bias: bias, epilogue: b.act.epilogue)
            }
        }
        kernels.conv2d(UnsafeBufferPointer(buffers.conv), shape: convShape, weights: b.rgb.weights, padding: 0,
                       inputScale: slice(rgbStyles, sample * o, o), inputScaleGain: b.rgb.styleGain ?? 1,
                       outputScale: slice(rgbScale, sample * r, r), into: buffers.rgb)
        let count = rows * w
        for c in 0..<r {
            let y = UnsafeMutableBufferPointer(rebasing: buffers.rgb[(c * count)..<((c + 1) * count)])
            let at = ((sample * r + c) * s.h + r0) * w
            withOptionalBuffer(b.rgbAct.bias) { bias in
                kernels.biasNoiseAct(y, shape: ImageShape(n: 1, c: 1, h: rows, w: w), bias: slice(bias, c, 1), epilogue: b.rgbAct.epilogue,
                                     addend: slice(skip, at, count))
            }
            copy(UnsafeBufferPointer(y), to: UnsafeMutableBufferPointer(rebasing: out[at..<(at + count)]))
        }
    }
}

/// `count` floats of `buffer` from `start` (nil without a buffer).
private func slice(_ buffer: UnsafeBufferPointer<Float>?, _ start: Int, _ count: Int) -> UnsafeBufferPointer<Float>? {
    buffer.map { UnsafeBufferPointer(rebasing: $0[start..<(start + count)]) }
}
