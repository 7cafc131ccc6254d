/// Scalar reference kernels: straightforward loops that state the math once. Fast kernels are
/// tested against these. Buffers are NCHW float32; weights OIHW.
public enum Reference {
    /// y[n, o] = epilogue(Σᵢ x[n, i] · w[o, i] · weightGain, bias[o]).
    public static func dense(_ x: UnsafeBufferPointer<Float>, n: Int, inFeatures: Int,
                             weight: UnsafeBufferPointer<Float>, outFeatures: Int, weightGain: Float,
                             bias: UnsafeBufferPointer<Float>?, epilogue: Epilogue, into y: UnsafeMutableBufferPointer<Float>) {
        for s in 0..<n {
            for o in 0..<outFeatures {
                var acc: Float = 0
                for i in 0..<inFeatures { acc += x[s * inFeatures + i] * (weight[o * inFeatures + i] * weightGain) }
                y[s * outFeatures + o] = epilogue.apply(acc, bias: bias?[o] ?? 0)
            }
        }
    }

    /// x · rsqrt(mean(x², over the features) + eps), per sample.
    public static func normalize2ndMoment(_ x: UnsafeBufferPointer<Float>, n: Int, features: Int, eps: Float,
                                          into y: UnsafeMutableBufferPointer<Float>) {
        for s in 0..<n {
            var sum: Float = 0
            for i in 0..<features { sum += x[s * features + i] * x[s * features + i] }
            let scale = 1 / (sum / Float(features) + eps).squareRoot()
            for i in 0..<features { y[s * features + i] = x[s * features + i] * scale }
        }
    }

    /// Correlation (PyTorch `conv2d`) of one sample with zero padding `padding` on every side.
    /// `weight` is [O, I, k, k]; output [O, H + 2p − k + 1, W + 2p − k + 1].
    public static func conv2d(_ x: UnsafeBufferPointer<Float>, channels: Int, height: Int, width: Int,
                              weight: UnsafeBufferPointer<Float>, outChannels: Int, kernel k: Int, padding p: Int,
                              into y: UnsafeMutableBufferPointer<Float>) {
        let oh = height + 2 * p - k + 1, ow = width + 2 * p - k + 1
        for o in 0..<outChannels {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var acc: Float = 0
                    for i in 0..<channels {
                        for ky in 0..<k {
                            let iy = oy + ky - p
                            guard iy >= 0, iy < height else { continue }
                            for kx in 0..<k {
                                let ix = ox + kx - p
                                guard ix >= 0, ix < width else { continue }
                                acc += x[(i * height + iy) * width + ix] * weight[((o * channels + i) * k + ky) * k + kx]
                            }
                        }
                    }
                    y[(o * oh + oy) * ow + ox] = acc
                }
            }
        }
    }

    /// PyTorch `conv_transpose2d` with stride 2 and no padding, taking the weight in conv layout
    /// [O, I, k, k] (as `w.transpose(0, 1)` in `conv2d_resample`): every input pixel scatters
    /// its k×k footprint. Output [O, 2(H − 1) + k, 2(W − 1) + k].
    public static func convTranspose2dStride2(_ x: UnsafeBufferPointer<Float>, channels: Int, height: Int, width: Int,
                                              weight: UnsafeBufferPointer<Float>, outChannels: Int, kernel k: Int,
                                              into y: UnsafeMutableBufferPointer<Float>) {
        let oh = 2 * (height - 1) + k, ow = 2 * (width - 1) + k
        for j in 0..<(outChannels * oh * ow) { y[j] = 0 }
        for o in 0..<outChannels {
            for i in 0..<channels {
                for iy in 0..<height {
                    for ix in 0..<width {
                        let v = x[(i * height + iy) * width + ix]
                        for ky in 0..<k {
                            for kx in 0..<k {
                                y[(o * oh + 2 * iy + ky) * ow + 2 * ix + kx] += v * weight[((o * channels + i) * k + ky) * k + kx]
                            }
                        }
                    }
                }
            }
        }
    }

    /// `upfirdn2d` on one channel plane: zero-stuff by `up`, pad by (x0, x1, y0, y1) (negative
    /// crops), convolve with the filter (true convolution: the filter is flipped), keep every
    /// `down`-th sample. `filter` is k×k (2-D) or k (separable 1-D, applied on both axes);
    /// `gain` multiplies a 2-D filter, and each pass of a 1-D one by √gain, as NVlabs does.
    public static func upfirdn2d(_ x: UnsafeBufferPointer<Float>, height: Int, width: Int,
                                 filter: UnsafeBufferPointer<Float>, taps k: Int, separable: Bool,
                                 up: Int, down: Int, padding: (x0: Int, x1: Int, y0: Int, y1: Int), gain: Float,
                                 into y: UnsafeMutableBufferPointer<Float>) {
        let uh = height * up + padding.y0 + padding.y1, uw = width * up + padding.x0 + padding.x1
        let oh = (uh - k) / down + 1, ow = (uw - k) / down + 1
        // Value of the zero-stuffed, padded input at (py, px).
        func input(_ py: Int, _ px: Int) -> Float {
            let sy = py - padding.y0, sx = px - padding.x0
            guard sy >= 0, sx >= 0, sy % up == 0, sx % up == 0 else { return 0 }
            let iy = sy / up, ix = sx / up
            guard iy < height, ix < width else { return 0 }
            return x[iy * width + ix]
        }
        let axisGain = gain.squareRoot()
        for oy in 0..<oh {
            for ox in 0..<ow {
                var acc: Float = 0
                for fy in 0..<k {
                    for fx in 0..<k {
                        let f = separable ? (filter[k - 1 - fy] * axisGain) * (filter[k - 1 - fx] * axisGain)
                                          : filter[(k - 1 - fy) * k + (k - 1 - fx)] * gain
                        acc += input(oy * down + fy, ox * down + fx) * f
                    }
                }
                y[oy * ow + ox] = acc
            }
        }
    }

    /// x[n, c, :, :] = epilogue(x[n, c, :, :], bias[c]) in place.
    public static func biasAct(_ x: UnsafeMutableBufferPointer<Float>, shape: ImageShape, bias: UnsafeBufferPointer<Float>?, epilogue: Epilogue) {
        for s in 0..<shape.n {
            for c in 0..<shape.c {
                let b = bias?[c] ?? 0
                let base = (s * shape.c + c) * shape.plane
                for j in 0..<shape.plane { x[base + j] = epilogue.apply(x[base + j], bias: b) }
            }
        }
    }
}
