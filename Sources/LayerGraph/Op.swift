/// The canonical vocabulary. StyleGAN-level ops carry their exact constants (gains, learning-rate
/// multipliers, padding) so that an executor needs nothing but the node and its tensors.
/// Parameters are referenced by canonical tensor name; layouts are PyTorch's: dense weights
/// `[out, in]`, convolution weights `[O, I, kh, kw]`, activations NCHW.
public enum Op: Sendable, Hashable, Codable {
    /// A graph input (`z`, `c`, `ws`).
    case input
    /// x · rsqrt(mean(x², axis 1) + eps): the latent and label normalisation ("pixel norm").
    case normalize2ndMoment(eps: Float)
    /// Fully connected layer with equalised learning rate, then bias + activation.
    case dense(Dense)
    /// Concatenate the inputs along `axis`.
    case concat(axis: Int)
    /// [N, C] → [N, count, C]: the mapping output repeated for every W slot.
    case broadcast(count: Int)
    /// Row `index` of ws [N, num_ws, w_dim] → [N, w_dim].
    case selectW(index: Int)
    /// The learned constant input [C, H, W] tiled over the batch of the first input.
    case constInput(param: String)
    /// Modulated convolution (StyleGAN2): inputs x [N,I,H,W] and styles [N,I].
    case modulatedConv(ModulatedConv)
    /// Plain convolution with equalised learning rate and optional resampling.
    case conv(Conv)
    /// Noise injection: x + noise · strength. The noise comes from the run-time noise mode
    /// (`const` uses `constNoise`, a stored [H, W] buffer).
    case noise(Noise)
    /// act(x + bias · biasGain) · gain, then clamp to ±clamp.
    case biasAct(BiasAct)
    /// Zero-stuff by `up`, pad, convolve with a FIR filter, keep every `down`-th sample.
    case upfirdn2d(UpFirDn)
    /// Nearest-neighbour up-sampling by `factor` (StyleGAN1 below 128²).
    case upsampleNearest(factor: Int)
    /// Per-channel instance normalisation over H, W (StyleGAN1).
    case instanceNorm(eps: Float)
    /// x · (style[:, :C] + 1) + style[:, C:] (StyleGAN1 `StyleMod`); inputs x and style [N, 2C].
    case adaIN
    /// Elementwise sum of the inputs, then multiplied by `scale`.
    case add(scale: Float)
    /// A layer of a family whose execution is not implemented yet (StyleGAN3), kept with its
    /// class name and tensors so the graph is complete and convertible.
    case opaque(kind: String, params: [String], attributes: [String: String])
    /// An ONNX-level operation no pattern recognised (imported ONNX graphs only), run by the
    /// runtime's primitive interpreter. Its inputs may be unbatched (shape tensors, scalars).
    case primitive(Primitive)
}

public enum Activation: String, Sendable, Hashable, Codable {
    case linear, lrelu, relu
}

public struct Dense: Sendable, Hashable, Codable {
    public var weight: String
    public var bias: String?
    public var weightGain: Float
    public var biasGain: Float
    public var activation: Activation
    /// Output gain after the activation (√2 for lrelu in StyleGAN2).
    public var gain: Float
    public init(weight: String, bias: String?, weightGain: Float, biasGain: Float, activation: Activation, gain: Float) {
        self.weight = weight
        self.bias = bias
        self.weightGain = weightGain
        self.biasGain = biasGain
        self.activation = activation
        self.gain = gain
    }
}

public struct ModulatedConv: Sendable, Hashable, Codable {
    public var weight: String
    /// Multiplies the styles before modulation (ToRGB: 1/√(I·k²)); 1 for demodulated layers.
    public var styleGain: Float
    public var demodulate: Bool
    /// 1 or 2: transposed convolution with stride 2 followed by the FIR filter.
    public var up: Int
    /// Zero padding of the (non up-sampling) convolution.
    public var padding: Int
    /// The 2-D FIR filter used when `up` is 2 (canonical tensor name).
    public var resampleFilter: String?
    public init(weight: String, styleGain: Float, demodulate: Bool, up: Int, padding: Int, resampleFilter: String?) {
        self.weight = weight
        self.styleGain = styleGain
        self.demodulate = demodulate
        self.up = up
        self.padding = padding
        self.resampleFilter = resampleFilter
    }
}

/// The padding (before, after) of the FIR filter that follows the stride-2 transposed
/// convolution of an up-sampling convolution with a k×k kernel (k > 1) and zero padding `p`,
/// on each axis, for a filter of `taps` taps: stylegan2-ada-pytorch's `conv2d_resample`.
public func upsamplingFIRPadding(padding p: Int, taps: Int, kernel k: Int) -> (before: Int, after: Int) {
    (p + (taps + 1) / 2 - (k - 1), p + (taps - 2) / 2 - (k - 2))
}

public struct Conv: Sendable, Hashable, Codable {
    public var weight: String
    public var weightGain: Float
    /// 1, or 2 for an up-sampling convolution.
    public var up: Int
    public var padding: Int
    public var resampleFilter: String?
    public init(weight: String, weightGain: Float, up: Int, padding: Int, resampleFilter: String?) {
        self.weight = weight
        self.weightGain = weightGain
        self.up = up
        self.padding = padding
        self.resampleFilter = resampleFilter
    }
}

public struct Noise: Sendable, Hashable, Codable {
    /// Scalar strength (StyleGAN2) or per-channel weights [C] (StyleGAN1).
    public var strength: String
    public var constNoise: String
    public var resolution: Int
    public init(strength: String, constNoise: String, resolution: Int) {
        self.strength = strength
        self.constNoise = constNoise
        self.resolution = resolution
    }
}

public struct BiasAct: Sendable, Hashable, Codable {
    public var bias: String?
    public var biasGain: Float
    public var activation: Activation
    public var gain: Float
    public var clamp: Float?
    public init(bias: String?, biasGain: Float = 1, activation: Activation, gain: Float, clamp: Float?) {
        self.bias = bias
        self.biasGain = biasGain
        self.activation = activation
        self.gain = gain
        self.clamp = clamp
    }
}

public struct UpFirDn: Sendable, Hashable, Codable {
    public var filter: String
    public var up: Int
    public var down: Int
    /// Padding x0, x1, y0, y1 (negative crops).
    public var padding: [Int]
    /// Multiplies the filter (up² for up-sampling keeps the signal's magnitude).
    public var gain: Float
    public init(filter: String, up: Int, down: Int, padding: [Int], gain: Float) {
        self.filter = filter
        self.up = up
        self.down = down
        self.padding = padding
        self.gain = gain
    }
}

extension Op {
    /// The op's name in files and reports (`.sgan` headers, `inspect`), snake case.
    public var name: String {
        switch self {
        case .input: "input"
        case .normalize2ndMoment: "normalize_2nd_moment"
        case .dense: "dense"
        case .concat: "concat"
        case .broadcast: "broadcast"
        case .selectW: "select_w"
        case .constInput: "const_input"
        case .modulatedConv: "modulated_conv"
        case .conv: "conv"
        case .noise: "noise"
        case .biasAct: "bias_act"
        case .upfirdn2d: "upfirdn2d"
        case .upsampleNearest: "upsample_nearest"
        case .instanceNorm: "instance_norm"
        case .adaIN: "ada_in"
        case .add: "add"
        case .opaque: "opaque"
        case .primitive: "primitive"
        }
    }
}
