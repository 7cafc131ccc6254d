import Kernels
import LayerGraph

/// Running one `Step` on buffers the caller provides (arena slots): the convolution-shaped ops
/// on the fast kernels (Sources/Kernels), the rest as plain loops. Nothing here allocates.
extension Executor {
    /// Runs `step`: `input(k)` is its k-th input, `out` its output (for in-place steps already
    /// holding a copy of input 0), `scratch(k)` its k-th temporary.
    func execute(_ step: Step, input: (Int) -> UnsafeBufferPointer<Float>, out: UnsafeMutableBufferPointer<Float>,
                 scratch: (Int) -> UnsafeMutableBufferPointer<Float>, noise: NoiseMode, rng: inout NumpyRandom?) {
        let n = step.dims.isEmpty ? 0 : step.dims[0]
        switch step.kernel {
        case .input:
            break
        case .normalize(let eps):
            Reference.normalize2ndMoment(input(0), n: n, features: step.count / max(n, 1), eps: eps, into: out)
        case let .dense(weights, bias, e):
            withOptionalBuffer(bias) { kernels.dense(input(0), n: n, weights: weights, bias: $0, epilogue: e, into: out) }
        case .concat:
            var o = 0
            for s in 0..<n {
                for k in step.inputs.indices {
                    let x = input(k), f = step.inputDims[k][1]
                    copy(x, from: s * f, count: f, to: out, at: o)
                    o += f
                }
            }
        case .broadcast(let count):
            let f = step.inputDims[0][1]
            for s in 0..<n { for r in 0..<count { copy(input(0), from: s * f, count: f, to: out, at: (s * count + r) * f) } }
        case .selectW(let index):
            let (numWs, f) = (step.inputDims[0][1], step.inputDims[0][2])
            for s in 0..<n { copy(input(0), from: (s * numWs + index) * f, count: f, to: out, at: s * f) }
        case .constInput(let c):
            c.withUnsafeBufferPointer { c in for s in 0..<n { copy(c, from: 0, count: c.count, to: out, at: s * c.count) } }
        case .conv(let c):
            convolve(c, step, input: input, out: out, scratch: scratch, noise: noise, rng: &rng)
        case let .noise(z, then):
            addNoise(z, then: then, shape: imageShape(step.dims), out: out, scratch: scratch(0), mode: noise, rng: &rng)
        case let .biasAct(b, addend):
            // Channels on axis 1; any further axes form the plane ([N, C] is a 1-pixel plane).
            let d = step.dims
            let shape = ImageShape(n: d[0], c: d.count > 1 ? d[1] : 1, h: step.count / max(d[0] * (d.count > 1 ? d[1] : 1), 1), w: 1)
            withOptionalBuffer(b.bias) { kernels.biasNoiseAct(out, shape: shape, bias: $0, epilogue: b.epilogue, addend: addend ? input(1) : nil) }
        case .upfirdn(let f):
            kernels.upfirdn2d(input(0), shape: imageShape(step.inputDims[0]), filter: f.filter, up: f.up, down: f.down,
                              padding: f.padding, into: out)
        case .upsampleNearest(let f):
            let x = input(0), s = imageShape(step.inputDims[0])
            let (oh, ow) = (s.h * f, s.w * f)
            for p in 0..<(s.n * s.c) {
                for oy in 0..<oh { for ox in 0..<ow { out[(p * oh + oy) * ow + ox] = x[(p * s.h + oy / f) * s.w + ox / f] } }
            }
        case .instanceNorm(let eps):
            let s = imageShape(step.dims)
            for p in 0..<(s.n * s.c) {
                let r = (p * s.plane)..<((p + 1) * s.plane)
                var sum: Float = 0
                for j in r { sum += out[j] }
                let mean = sum / Float(s.plane)
                for j in r { out[j] -= mean }
                var squares: Float = 0
                for j in r { squares += out[j] * out[j] }
                let variance = squares / Float(s.plane)
                let scale = 1 / (variance + eps).squareRoot()
                for j in r { out[j] *= scale }
            }
        case .adaIN:
            let s = imageShape(step.dims), style = input(1)
            for n in 0..<s.n {
                for c in 0..<s.c {
                    let (a, b) = (style[n * 2 * s.c + c] + 1, style[n * 2 * s.c + s.c + c])
                    let base = (n * s.c + c) * s.plane
                    for j in base..<(base + s.plane) { out[j] = out[j] * a + b }
                }
            }
        case .add(let scale):
            for k in step.inputs.indices.dropFirst() {
                let other = input(k)
                for j in out.indices { out[j] += other[j] }
            }
            if scale != 1 { for j in out.indices { out[j] *= scale } }
        case .banded(let b):
            runBanded(b, step, input: input, out: out, scratch: scratch, noise: noise, rng: &rng)
        }
    }

    func imageShape(_ dims: [Int]) -> ImageShape { ImageShape(n: dims[0], c: dims[1], h: dims[2], w: dims[3]) }

    func epilogue(_ b: BiasAct) -> Epilogue {
        Epilogue(biasGain: b.biasGain, activation: kernelActivation(b.activation), gain: b.gain, clamp: b.clamp)
    }

    func kernelActivation(_ a: Activation) -> KernelActivation {
        switch a {
        case .linear: .linear
        case .lrelu: .lrelu(alpha: 0.2)
        case .relu: .relu
        }
    }

    /// Modulated convolution as input scaling × fixed packed weights × output demodulation:
    /// conv(x · s, w) · d with d[n, o] = rsqrt(Σᵢ (s[n, i])² Σₖ w[o, i, k]² + 1e-8).
    private func convolve(_ c: ConvStep, _ step: Step, input: (Int) -> UnsafeBufferPointer<Float>, out: UnsafeMutableBufferPointer<Float>,
                          scratch: (Int) -> UnsafeMutableBufferPointer<Float>, noise mode: NoiseMode, rng: inout NumpyRandom?) {
        let x = input(0), s = imageShape(step.inputDims[0])
        let styles = c.styleGain == nil ? nil : input(1)
        let demodulation = demodulation(c, styles: styles, batch: s.n, into: scratch(0))
        let gain = c.styleGain ?? 1
        if c.transposed, c.fir != nil {
            let o = imageShape(step.dims)
            var drawn: UnsafeBufferPointer<Float>?
            if case .random = mode, c.epilogue != nil { drawn = drawNoise(count: o.n * o.plane, into: scratch(1), rng: &rng) }
            withNoise(c.epilogue?.noise, mode: mode, drawn: drawn, plane: o.plane) { noise in
                upsample(c, x, shape: s, styles: styles, scale: demodulation, noise: noise?.planes, into: out)
            }
        } else if c.transposed {
            kernels.convTranspose2dStride2(x, shape: s, weights: c.weights, inputScale: styles, inputScaleGain: gain,
                                           outputScale: demodulation, into: out)
        } else {
            kernels.conv2d(x, shape: s, weights: c.weights, padding: c.padding, inputScale: styles, inputScaleGain: gain,
                           outputScale: demodulation, into: out)
        }
    }

    /// The up-sampling convolution `c` (transposed, FIR fused) of `x`, with the epilogue fused
    /// into it, if any (`noise`: the stored [H, W] plane or [N, H, W] drawn, nil for none):
    /// `scale` the demodulation coefficients, `rows` as in `convTranspose2dStride2`.
    func upsample(_ c: ConvStep, _ x: UnsafeBufferPointer<Float>, shape s: ImageShape, styles: UnsafeBufferPointer<Float>?,
                  scale: UnsafeBufferPointer<Float>?, noise: UnsafeBufferPointer<Float>?, rows: Range<Int>? = nil,
                  into out: UnsafeMutableBufferPointer<Float>) {
        let f = c.fir!, e = c.epilogue
        withOptionalBuffer(noise == nil ? nil : e?.noise.strength) { strength in
            withOptionalBuffer(e?.act?.bias) { bias in
                kernels.convTranspose2dStride2(x, shape: s, weights: c.weights, inputScale: styles, inputScaleGain: c.styleGain ?? 1,
                                               outputScale: scale, filter: f.filter, padding: f.padding, noise: noise, noiseStrength: strength,
                                               bias: bias, epilogue: noise == nil && e?.act == nil ? nil : e?.act?.epilogue ?? Epilogue(),
                                               rows: rows, into: out)
            }
        }
    }

    /// `body` with the noise `z` adds over a batch of maps of `plane` pixels: the stored [H, W]
    /// plane for every sample (const), the [N, H, W] `drawn` for it (random), or nil (no `z`, or
    /// none).
    func withNoise(_ z: NoiseStep?, mode: NoiseMode, drawn: UnsafeBufferPointer<Float>?, plane: Int,
                   _ body: ((planes: UnsafeBufferPointer<Float>, sampleStride: Int)?) -> Void) {
        switch (z, mode) {
        case (let z?, .const): z.constNoise.withUnsafeBufferPointer { body(($0, 0)) }
        case (.some, .random): body((drawn!, plane))
        default: body(nil)
        }
    }

    /// The demodulation coefficients [n, O] of `c` for `styles`, written to `d` (nil when `c` does
    /// not demodulate).
    func demodulation(_ c: ConvStep, styles: UnsafeBufferPointer<Float>?, batch: Int,
                      into d: UnsafeMutableBufferPointer<Float>) -> UnsafeBufferPointer<Float>? {
        guard c.demodulate, let styles, let gain = c.styleGain else { return nil }
        c.weights.demodulation(styles: styles, batch: batch, styleGain: gain, into: d)
        return UnsafeBufferPointer(d)
    }

    /// Fresh Gaussian noise into the first `count` floats of `buffer`, in NumPy's order.
    func drawNoise(count: Int, into buffer: UnsafeMutableBufferPointer<Float>, rng: inout NumpyRandom?) -> UnsafeBufferPointer<Float> {
        for j in 0..<count { buffer[j] = Float(rng!.nextGaussian()) }
        return UnsafeBufferPointer(rebasing: buffer[0..<count])
    }

    /// x + noise · strength (scalar, or per channel for StyleGAN1), in place, then, when `then`
    /// is given, that node's bias + activation in the same pass.
    private func addNoise(_ z: NoiseStep, then b: BiasActStep?, shape s: ImageShape, out: UnsafeMutableBufferPointer<Float>,
                          scratch: UnsafeMutableBufferPointer<Float>, mode: NoiseMode, rng: inout NumpyRandom?) {
        let e = b?.epilogue ?? Epilogue()
        func inject(_ noise: UnsafeBufferPointer<Float>) {
            z.strength.withUnsafeBufferPointer { st in
                withOptionalBuffer(b?.bias) { kernels.biasNoiseAct(out, shape: s, noise: noise, noiseStrength: st, bias: $0, epilogue: e) }
            }
        }
        switch mode {
        case .none:
            guard let b else { return }
            withOptionalBuffer(b.bias) { kernels.biasNoiseAct(out, shape: s, bias: $0, epilogue: e) }
        case .const:
            // The stored [H, W] buffer serves every sample.
            z.constNoise.withUnsafeBufferPointer(inject)
        case .random:
            // Fresh [N, H, W].
            inject(drawNoise(count: s.n * s.plane, into: scratch, rng: &rng))
        }
    }

    private func copy(_ x: UnsafeBufferPointer<Float>, from: Int, count: Int, to y: UnsafeMutableBufferPointer<Float>, at: Int) {
        guard count > 0 else { return }
        (y.baseAddress! + at).update(from: x.baseAddress! + from, count: count)
    }
}

/// Calls `body` with a buffer over `array`, or nil.
func withOptionalBuffer<R>(_ array: [Float]?, _ body: (UnsafeBufferPointer<Float>?) -> R) -> R {
    if let array { return array.withUnsafeBufferPointer { body($0) } }
    return body(nil)
}
