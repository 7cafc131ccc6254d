import Kernels
import LayerGraph

/// The convolution-shaped ops: dense, (modulated) convolution with resampling, FIR, noise.
extension Executor {
    func dense(_ x: Value, _ d: Dense) -> Value {
        let w = param(d.weight), dims = graph.tensors[d.weight]!.shape.dims
        let (outF, inF) = (dims[0], dims[1])
        var y = [Float](repeating: 0, count: x.batch * outF)
        let e = Epilogue(biasGain: d.biasGain, activation: kernelActivation(d.activation), gain: d.gain)
        let bias = d.bias.map(param)
        x.data.withUnsafeBufferPointer { xs in
            w.withUnsafeBufferPointer { ws in
                y.withUnsafeMutableBufferPointer { ys in
                    if let bias {
                        bias.withUnsafeBufferPointer { Reference.dense(xs, n: x.batch, inFeatures: inF, weight: ws, outFeatures: outF, weightGain: d.weightGain, bias: $0, epilogue: e, into: ys) }
                    } else {
                        Reference.dense(xs, n: x.batch, inFeatures: inF, weight: ws, outFeatures: outF, weightGain: d.weightGain, bias: nil, epilogue: e, into: ys)
                    }
                }
            }
        }
        return Value(data: y, dims: [x.batch, outF])
    }

    /// Modulated convolution, per sample: w′ = w · s (· d when demodulating), then the
    /// convolution (`conv2d_resample` for ×2).
    func modulatedConv(_ x: Value, styles: Value, _ m: ModulatedConv) -> Value {
        let w = param(m.weight), dims = graph.tensors[m.weight]!.shape.dims
        let (o, i, k) = (dims[0], dims[1], dims[2])
        let s = imageShape(x)
        var outputs: [Value] = []
        for n in 0..<s.n {
            var wm = w
            for oc in 0..<o {
                var sum: Float = 0
                for ic in 0..<i {
                    let style = styles.data[n * i + ic] * m.styleGain
                    for j in 0..<(k * k) {
                        let idx = (oc * i + ic) * k * k + j
                        wm[idx] = w[idx] * style
                        sum += wm[idx] * wm[idx]
                    }
                }
                if m.demodulate {
                    let d = 1 / (sum + 1e-8).squareRoot()
                    for j in 0..<(i * k * k) { wm[oc * i * k * k + j] *= d }
                }
            }
            let sample = Value(data: Array(x.data[(n * s.c * s.plane)..<((n + 1) * s.c * s.plane)]), dims: [1, s.c, s.h, s.w])
            outputs.append(convolve(sample, weight: wm, dims: dims, up: m.up, padding: m.padding, filter: m.resampleFilter))
        }
        return Value(data: Array(outputs.map(\.data).joined()), dims: [s.n] + outputs[0].dims.dropFirst())
    }

    func conv(_ x: Value, _ c: Conv) -> Value {
        let dims = graph.tensors[c.weight]!.shape.dims
        let w = param(c.weight).map { $0 * c.weightGain }
        return convolve(x, weight: w, dims: dims, up: c.up, padding: c.padding, filter: c.resampleFilter)
    }

    /// `conv2d_resample` of stylegan2-ada-pytorch for up 1 or 2 (down 1).
    private func convolve(_ x: Value, weight: [Float], dims: [Int], up: Int, padding p: Int, filter: String?) -> Value {
        let s = imageShape(x)
        let (o, k) = (dims[0], dims[2])
        if up == 1 {
            let (oh, ow) = (s.h + 2 * p - k + 1, s.w + 2 * p - k + 1)
            var y = [Float](repeating: 0, count: s.n * o * oh * ow)
            forEachSample(x, outPerSample: o * oh * ow, into: &y) { xs, ys in
                weight.withUnsafeBufferPointer { Reference.conv2d(xs, channels: s.c, height: s.h, width: s.w, weight: $0, outChannels: o, kernel: k, padding: p, into: ys) }
            }
            return Value(data: y, dims: [s.n, o, oh, ow])
        }
        precondition(up == 2, "only ×2 up-sampling convolutions exist in StyleGAN2")
        let fw = graph.tensors[filter!]!.shape.dims[0]
        if k == 1 {
            // 1×1: up-sample with the FIR filter first, then the pointwise convolution.
            let pad = (p + (fw + 1) / 2, p + (fw - 2) / 2)
            let upsampled = upfirdn(x, filter: filter!, up: 2, down: 1, padding: (pad.0, pad.1, pad.0, pad.1), gain: 4)
            return convolve(upsampled, weight: weight, dims: dims, up: 1, padding: 0, filter: nil)
        }
        // Transposed convolution (stride 2), then the FIR filter with the remaining padding.
        let (th, tw) = (2 * (s.h - 1) + k, 2 * (s.w - 1) + k)
        var t = [Float](repeating: 0, count: s.n * o * th * tw)
        forEachSample(x, outPerSample: o * th * tw, into: &t) { xs, ys in
            weight.withUnsafeBufferPointer { Reference.convTranspose2dStride2(xs, channels: s.c, height: s.h, width: s.w, weight: $0, outChannels: o, kernel: k, into: ys) }
        }
        let p0 = p + (fw + 1) / 2 - (k - 1), p1 = p + (fw - 2) / 2 - (k - 2)
        return upfirdn(Value(data: t, dims: [s.n, o, th, tw]), filter: filter!, up: 1, down: 1, padding: (p0, p1, p0, p1), gain: 4)
    }

    private func forEachSample(_ x: Value, outPerSample: Int, into y: inout [Float],
                               _ body: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void) {
        let inPerSample = x.data.count / x.batch
        x.data.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                for n in 0..<x.batch {
                    body(UnsafeBufferPointer(rebasing: xs[(n * inPerSample)..<((n + 1) * inPerSample)]),
                         UnsafeMutableBufferPointer(rebasing: ys[(n * outPerSample)..<((n + 1) * outPerSample)]))
                }
            }
        }
    }

    func upfirdn(_ x: Value, filter: String, up: Int, down: Int, padding: (Int, Int, Int, Int), gain: Float) -> Value {
        let s = imageShape(x)
        let f = param(filter), fdims = graph.tensors[filter]!.shape.dims
        let k = fdims[0]
        let oh = (s.h * up + padding.2 + padding.3 - k) / down + 1, ow = (s.w * up + padding.0 + padding.1 - k) / down + 1
        var y = [Float](repeating: 0, count: s.n * s.c * oh * ow)
        x.data.withUnsafeBufferPointer { xs in
            f.withUnsafeBufferPointer { fs in
                y.withUnsafeMutableBufferPointer { ys in
                    for plane in 0..<(s.n * s.c) {
                        Reference.upfirdn2d(UnsafeBufferPointer(rebasing: xs[(plane * s.plane)..<((plane + 1) * s.plane)]), height: s.h, width: s.w,
                                            filter: fs, taps: k, separable: fdims.count == 1, up: up, down: down,
                                            padding: (padding.0, padding.1, padding.2, padding.3), gain: gain,
                                            into: UnsafeMutableBufferPointer(rebasing: ys[(plane * oh * ow)..<((plane + 1) * oh * ow)]))
                    }
                }
            }
        }
        return Value(data: y, dims: [s.n, s.c, oh, ow])
    }

    /// x + noise · strength (scalar, or per channel for StyleGAN1).
    func addNoise(_ x: Value, _ z: Noise, mode: NoiseMode, rng: inout NumpyRandom?) -> Value {
        if case .none = mode { return x }
        var y = x
        let s = imageShape(x)
        let strength = param(z.strength)
        let constNoise = param(z.constNoise)
        for n in 0..<s.n {
            let plane: [Float] = if case .const = mode { constNoise } else { (0..<s.plane).map { _ in Float(rng!.nextGaussian()) } }
            for c in 0..<s.c {
                let g = strength.count == 1 ? strength[0] : strength[c]
                let base = (n * s.c + c) * s.plane
                for j in 0..<s.plane { y.data[base + j] += plane[j] * g }
            }
        }
        return y
    }
}
