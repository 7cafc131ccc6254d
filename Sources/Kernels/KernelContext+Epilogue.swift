internal import CKernels

extension KernelContext {
    /// The fused epilogue, in place, one pass over the feature map `x` [n, c, h, w]:
    ///
    ///     v = x · channelScale[s, c]            (if given: e.g. demodulation applied late)
    ///     v = v + noise[(s,) y, x] · strength   (if noise: [h·w] shared, or [n, h·w]; strength [1] or [c])
    ///     v = epilogue(v, bias[c])              (act(v + bias·biasGain) · gain, clamped)
    ///     x = v + addend[s, c, y, x]            (if given: e.g. to-RGB output + up-sampled skip image)
    ///
    /// Each step rounds as the separate operations do (noise injection, then `Reference.biasAct`,
    /// then the add), so the result is bit-identical to running them one after another.
    public func biasNoiseAct(_ x: UnsafeMutableBufferPointer<Float>, shape: ImageShape,
                             channelScale: UnsafeBufferPointer<Float>? = nil,
                             noise: UnsafeBufferPointer<Float>? = nil, noiseStrength: UnsafeBufferPointer<Float>? = nil,
                             bias: UnsafeBufferPointer<Float>?, epilogue: Epilogue,
                             addend: UnsafeBufferPointer<Float>? = nil) {
        precondition(x.count >= shape.count, "biasNoiseAct: x has \(x.count) floats, needs \(shape.count)")
        if let addend { precondition(addend.count >= shape.count, "biasNoiseAct: addend has \(addend.count) floats, needs \(shape.count)") }
        if let channelScale { precondition(channelScale.count >= shape.n * shape.c, "biasNoiseAct: channelScale needs [n, c]") }
        if let bias { precondition(bias.count >= shape.c, "biasNoiseAct: bias needs \(shape.c) floats") }
        let (stride, perChannel) = Self.noiseLayout(noise, strength: noiseStrength, shape: shape)
        if shape.count == 0 { return }
        applyEpilogue(x.baseAddress!, n: shape.n, c: shape.c, plane: shape.plane, channelScale: channelScale?.baseAddress,
                      noise: noise?.baseAddress, noiseSampleStride: stride, strength: noiseStrength?.baseAddress,
                      strengthPerChannel: perChannel, bias: bias, epilogue: epilogue, addend: addend?.baseAddress)
    }

    /// The noise stride and per-channel flag of `biasNoiseAct`'s noise for maps of `shape`.
    static func noiseLayout(_ noise: UnsafeBufferPointer<Float>?, strength: UnsafeBufferPointer<Float>?, shape: ImageShape)
        -> (stride: Int, perChannel: Bool) {
        guard let noise else { return (0, false) }
        guard let strength else { preconditionFailure("biasNoiseAct: noise without noiseStrength") }
        var stride = 0
        if noise.count >= shape.n * shape.plane && shape.n > 1 {
            stride = shape.plane
        } else {
            precondition(noise.count >= shape.plane, "biasNoiseAct: noise has \(noise.count) floats, needs \(shape.plane) or \(shape.n * shape.plane)")
        }
        precondition(strength.count == 1 || strength.count >= shape.c, "biasNoiseAct: strength must be [1] or [c]")
        return (stride, strength.count != 1)
    }

    func applyEpilogue(_ x: UnsafeMutablePointer<Float>, n: Int, c: Int, plane: Int, channelScale: UnsafePointer<Float>?,
                       noise: UnsafePointer<Float>?, noiseSampleStride: Int, strength: UnsafePointer<Float>?,
                       strengthPerChannel: Bool, bias: UnsafeBufferPointer<Float>?, epilogue e: Epilogue,
                       addend: UnsafePointer<Float>? = nil) {
        var a = Self.epilogueArgs(n: n, c: c, plane: plane, channelScale: channelScale, noise: noise, noiseSampleStride: noiseSampleStride,
                                  strength: strength, strengthPerChannel: strengthPerChannel, bias: bias, epilogue: e, addend: addend)
        a.x = x
        ck_epilogue(raw, &a)
    }

    static func epilogueArgs(n: Int, c: Int, plane: Int, channelScale: UnsafePointer<Float>?, noise: UnsafePointer<Float>?,
                             noiseSampleStride: Int, strength: UnsafePointer<Float>?, strengthPerChannel: Bool,
                             bias: UnsafeBufferPointer<Float>?, epilogue e: Epilogue, addend: UnsafePointer<Float>?) -> ck_epilogue_args {
        var a = ck_epilogue_args()
        a.n = n
        a.c = c
        a.plane = plane
        a.chan_scale = channelScale
        a.noise = noise
        a.noise_sample_stride = noiseSampleStride
        a.strength = strength
        a.strength_per_channel = strengthPerChannel ? 1 : 0
        a.bias = bias?.baseAddress
        a.bias_gain = e.biasGain
        switch e.activation {
        case .linear: a.act = Int32(CK_ACT_LINEAR)
        case .lrelu(let alpha):
            a.act = Int32(CK_ACT_LRELU)
            a.alpha = alpha
        case .relu: a.act = Int32(CK_ACT_RELU)
        }
        a.gain = e.gain
        if let clamp = e.clamp {
            precondition(clamp >= 0, "epilogue: negative clamp \(clamp)")
            a.clamp = clamp
        } else {
            a.clamp = -1
        }
        a.add = addend
        return a
    }
}
