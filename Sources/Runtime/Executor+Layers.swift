import Kernels
import LayerGraph

/// The convolution-shaped ops on the fast kernels (Sources/Kernels): dense, (modulated)
/// convolution with resampling as stylegan2-ada-pytorch's `conv2d_resample`, FIR, noise.
extension Executor {
    func dense(_ x: Value, _ d: Dense) -> Value {
        let weights = packed.dense[PackedWeights.key(d)]!
        let e = Epilogue(biasGain: d.biasGain, activation: kernelActivation(d.activation), gain: d.gain)
        let bias = d.bias.map(param)
        let y = output(x.batch * weights.outFeatures) { ys in
            x.data.withUnsafeBufferPointer { xs in
                withOptionalBuffer(bias) { kernels.dense(xs, n: x.batch, weights: weights, bias: $0, epilogue: e, into: ys) }
            }
        }
        return Value(data: y, dims: [x.batch, weights.outFeatures])
    }

    /// Modulated convolution as input scaling × fixed packed weights × output demodulation:
    /// conv(x · s, w) · d with d[n, o] = rsqrt(Σᵢ (s[n, i])² Σₖ w[o, i, k]² + 1e-8).
    func modulatedConv(_ x: Value, styles: Value, _ m: ModulatedConv) -> Value {
        let layout: PackedConvWeights.Layout = m.up == 2 ? .transposed : .conv
        let weights = packed.conv[PackedWeights.key(m.weight, gain: 1, layout)]!
        let s = imageShape(x)
        var d = [Float](repeating: 1, count: s.n * weights.outChannels)
        if m.demodulate {
            styles.data.withUnsafeBufferPointer { st in
                d.withUnsafeMutableBufferPointer { weights.demodulation(styles: st, batch: s.n, styleGain: m.styleGain, into: $0) }
            }
        }
        return styles.data.withUnsafeBufferPointer { st in
            d.withUnsafeBufferPointer { ds in
                convolve(x, weights: weights, up: m.up, padding: m.padding, filter: m.resampleFilter,
                         inputScale: st, inputScaleGain: m.styleGain, outputScale: m.demodulate ? ds : nil)
            }
        }
    }

    func conv(_ x: Value, _ c: Conv) -> Value {
        let k = graph.tensors[c.weight]!.shape.dims[2]
        let layout: PackedConvWeights.Layout = c.up == 2 && k > 1 ? .transposed : .conv
        let weights = packed.conv[PackedWeights.key(c.weight, gain: c.weightGain, layout)]!
        return convolve(x, weights: weights, up: c.up, padding: c.padding, filter: c.resampleFilter,
                        inputScale: nil, inputScaleGain: 1, outputScale: nil)
    }

    /// `conv2d_resample` for up 1 or 2 (down 1).
    private func convolve(_ x: Value, weights: PackedConvWeights, up: Int, padding p: Int, filter: String?,
                          inputScale: UnsafeBufferPointer<Float>?, inputScaleGain: Float,
                          outputScale: UnsafeBufferPointer<Float>?) -> Value {
        let s = imageShape(x)
        if up == 1 {
            let out = weights.conv2dOutputShape(s, padding: p)
            let y = output(out.count) { ys in
                x.data.withUnsafeBufferPointer { xs in
                    kernels.conv2d(xs, shape: s, weights: weights, padding: p, inputScale: inputScale,
                                   inputScaleGain: inputScaleGain, outputScale: outputScale, into: ys)
                }
            }
            return Value(data: y, dims: [out.n, out.c, out.h, out.w])
        }
        precondition(up == 2, "only ×2 up-sampling convolutions exist in StyleGAN2")
        let fw = graph.tensors[filter!]!.shape.dims[0]
        let k = weights.kernel
        if k == 1 {
            // 1×1: up-sample with the FIR filter first, then the pointwise convolution.
            let pad = (p + (fw + 1) / 2, p + (fw - 2) / 2)
            let upsampled = upfirdn(x, filter: filter!, up: 2, down: 1, padding: (pad.0, pad.1, pad.0, pad.1), gain: 4)
            return convolve(upsampled, weights: weights, up: 1, padding: 0, filter: nil,
                            inputScale: inputScale, inputScaleGain: inputScaleGain, outputScale: outputScale)
        }
        // Transposed convolution (stride 2), then the FIR filter with the remaining padding.
        let out = weights.convTranspose2dOutputShape(s)
        let t = output(out.count) { ts in
            x.data.withUnsafeBufferPointer { xs in
                kernels.convTranspose2dStride2(xs, shape: s, weights: weights, inputScale: inputScale,
                                               inputScaleGain: inputScaleGain, outputScale: outputScale, into: ts)
            }
        }
        let p0 = p + (fw + 1) / 2 - (k - 1), p1 = p + (fw - 2) / 2 - (k - 2)
        return upfirdn(Value(data: t, dims: [out.n, out.c, out.h, out.w]), filter: filter!, up: 1, down: 1,
                       padding: (p0, p1, p0, p1), gain: 4)
    }

    func upfirdn(_ x: Value, filter: String, up: Int, down: Int, padding: (Int, Int, Int, Int), gain: Float) -> Value {
        let s = imageShape(x)
        let dims = graph.tensors[filter]!.shape.dims
        let fir = FIRFilter(param(filter), taps: dims[0], separable: dims.count == 1, gain: gain)
        let pad = FIRPadding(x0: padding.0, x1: padding.1, y0: padding.2, y1: padding.3)
        let out = KernelContext.upfirdn2dOutputShape(s, taps: dims[0], up: up, down: down, padding: pad)
        let y = output(out.count) { ys in
            x.data.withUnsafeBufferPointer { xs in kernels.upfirdn2d(xs, shape: s, filter: fir, up: up, down: down, padding: pad, into: ys) }
        }
        return Value(data: y, dims: [out.n, out.c, out.h, out.w])
    }

    /// act(x + bias) · gain, clamped, in place.
    func biasAct(_ x: consuming Value, _ b: BiasAct) -> Value {
        var y = consume x
        // Channels on axis 1; any further axes form the plane ([N, C] is a 1-pixel plane).
        let shape = ImageShape(n: y.dims[0], c: y.dims.count > 1 ? y.dims[1] : 1, h: y.dims.dropFirst(2).reduce(1, *), w: 1)
        let bias = b.bias.map(param)
        y.data.withUnsafeMutableBufferPointer { buf in
            withOptionalBuffer(bias) { kernels.biasNoiseAct(buf, shape: shape, bias: $0, epilogue: epilogue(b)) }
        }
        return y
    }

    /// x + noise · strength (scalar, or per channel for StyleGAN1), then, when `then` is given,
    /// that node's bias + activation in the same pass.
    func addNoise(_ x: consuming Value, _ z: Noise, mode: NoiseMode, rng: inout NumpyRandom?, then b: BiasAct?) -> Value {
        var y = consume x
        let s = imageShape(y)
        let bias = b?.bias.map(param)
        let e = b.map(epilogue) ?? Epilogue()
        if case .none = mode {
            guard b != nil else { return y }
            y.data.withUnsafeMutableBufferPointer { buf in
                withOptionalBuffer(bias) { kernels.biasNoiseAct(buf, shape: s, bias: $0, epilogue: e) }
            }
            return y
        }
        let strength = param(z.strength)
        // const: the stored [H, W] buffer for every sample; random: fresh [N, H, W].
        let noise = if case .const = mode { param(z.constNoise) } else { (0..<(s.n * s.plane)).map { _ in Float(rng!.nextGaussian()) } }
        y.data.withUnsafeMutableBufferPointer { buf in
            noise.withUnsafeBufferPointer { ns in
                strength.withUnsafeBufferPointer { st in
                    withOptionalBuffer(bias) { kernels.biasNoiseAct(buf, shape: s, noise: ns, noiseStrength: st, bias: $0, epilogue: e) }
                }
            }
        }
        return y
    }
}

/// A new array of `count` floats that `fill` writes completely (every kernel writes each element
/// of its output), so it is not zeroed first: at 1024² that saves a pass over 128 MB per layer.
func output(_ count: Int, _ fill: (UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        fill(buffer)
        initialized = count
    }
}

/// Calls `body` with a buffer over `array`, or nil.
func withOptionalBuffer<R>(_ array: [Float]?, _ body: (UnsafeBufferPointer<Float>?) -> R) -> R {
    if let array { return array.withUnsafeBufferPointer { body($0) } }
    return body(nil)
}
