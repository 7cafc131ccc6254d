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
    /// skip and orig generators end so. `output` is the plan's output value. No noise is drawn
    /// between the chain's noise and its end, so random noise keeps its order.
    func banded(_ steps: [Step], output: Int) -> [Step] {
        let policy = banding
        if policy == .off { return steps }
        let soleReader = Self.soleReaders(steps, output: output)
        func drawsNoise(_ step: Step) -> Bool { if case .noise = step.kernel { true } else { false } }
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
            let rows = switch policy {
            case .rows(let r): min(r, s.h)
            default: Self.bandRows(channels: o, height: s.h, width: s.w)
            }
            var inputs = first.inputs, inputDims = first.inputDims
            let rgbStyles = toRGB.inputs.count > 1 ? inputs.count : nil
            inputs += toRGB.inputs.dropFirst()
            inputDims += toRGB.inputDims.dropFirst()
            let skip = addend ? inputs.count : nil
            inputs += end.inputs.dropFirst()
            inputDims += end.inputDims.dropFirst()
            let step = BandedConvStep(conv: conv, noise: noise, act: act, rgb: rgb, rgbAct: rgbAct, rows: rows,
                                      convStyles: first.inputs.count > 1 ? 1 : nil, rgbStyles: rgbStyles, skip: skip)
            let scratch = [first.scratch[0], toRGB.scratch[0], noise == nil ? 0 : steps[b].scratch[0],
                           o * rows * s.w, rgb.weights.outChannels * rows * s.w]
            replaced[d] = Step(kernel: .banded(step), name: end.name, inputs: inputs, inputDims: inputDims, output: end.output,
                               dims: end.dims, scratch: scratch, inPlace: false, nodes: [a, b, c, d].flatMap { steps[$0].nodes })
            absorbed.formUnion([a, b, c])
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

    /// Runs `b`: per sample and band of output rows, the first convolution's rows of the band
    /// (read from the input in place, on the unbanded Winograd tile grid), its noise, bias +
    /// activation, the to-RGB convolution, then per image channel its bias + activation (+ the
    /// skip image's rows) into the band's rows of `out`.
    func runBanded(_ b: BandedConvStep, _ step: Step, input: (Int) -> UnsafeBufferPointer<Float>, out: UnsafeMutableBufferPointer<Float>,
                   scratch: (Int) -> UnsafeMutableBufferPointer<Float>, noise mode: NoiseMode, rng: inout NumpyRandom?) {
        let s = imageShape(step.inputDims[0])
        let convStyles = b.convStyles.map(input), rgbStyles = b.rgbStyles.map(input)
        let convScale = demodulation(b.conv, styles: convStyles, batch: s.n, into: scratch(0))
        let rgbScale = demodulation(b.rgb, styles: rgbStyles, batch: s.n, into: scratch(1))
        let buffers = (conv: scratch(3), rgb: scratch(4))
        func run(noise: UnsafeBufferPointer<Float>?, sampleStride: Int) {
            for sample in 0..<s.n {
                for band in 0..<((s.h + b.rows - 1) / b.rows) {
                    runBand(b, x: input(0), shape: s, sample: sample, firstRow: band * b.rows, convStyles: convStyles, convScale: convScale,
                            rgbStyles: rgbStyles, rgbScale: rgbScale, noise: noise.map { planeRows($0, sample * sampleStride, band * b.rows, s) },
                            skip: b.skip.map(input), buffers: buffers, out: out)
                }
            }
        }
        switch (b.noise, mode) {
        case (let z?, .const):
            z.constNoise.withUnsafeBufferPointer { run(noise: $0, sampleStride: 0) }
        case (.some, .random):
            // [N, H, W] drawn whole first: the numbers and order of the unbanded noise step.
            let planes = drawNoise(count: s.n * s.plane, into: scratch(2), rng: &rng)
            run(noise: planes, sampleStride: s.plane)
        default:
            run(noise: nil, sampleStride: 0)
        }
    }

    /// Rows from `firstRow` on of the [H, W] plane at `offset` in `planes` (as many as the
    /// buffer or the map has).
    private func planeRows(_ planes: UnsafeBufferPointer<Float>, _ offset: Int, _ firstRow: Int, _ s: ImageShape) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(rebasing: planes[(offset + firstRow * s.w)..<(offset + s.plane)])
    }

    private func runBand(_ b: BandedConvStep, x: UnsafeBufferPointer<Float>, shape s: ImageShape, sample: Int, firstRow r0: Int,
                         convStyles: UnsafeBufferPointer<Float>?, convScale: UnsafeBufferPointer<Float>?,
                         rgbStyles: UnsafeBufferPointer<Float>?, rgbScale: UnsafeBufferPointer<Float>?, noise: UnsafeBufferPointer<Float>?,
                         skip: UnsafeBufferPointer<Float>?,
                         buffers: (conv: UnsafeMutableBufferPointer<Float>, rgb: UnsafeMutableBufferPointer<Float>),
                         out: UnsafeMutableBufferPointer<Float>) {
        let rows = min(b.rows, s.h - r0), w = s.w
        let (o, r) = (b.conv.weights.outChannels, b.rgb.weights.outChannels)
        func slice(_ buffer: UnsafeBufferPointer<Float>?, _ start: Int, _ count: Int) -> UnsafeBufferPointer<Float>? {
            buffer.map { UnsafeBufferPointer(rebasing: $0[start..<(start + count)]) }
        }
        let convShape = ImageShape(n: 1, c: o, h: rows, w: w)
        kernels.conv2d(slice(x, sample * s.c * s.plane, s.c * s.plane)!, shape: ImageShape(n: 1, c: s.c, h: s.h, w: w), weights: b.conv.weights,
                       padding: b.conv.padding, inputScale: slice(convStyles, sample * s.c, s.c), inputScaleGain: b.conv.styleGain ?? 1,
                       outputScale: slice(convScale, sample * o, o), rows: r0..<(r0 + rows), into: buffers.conv)
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
