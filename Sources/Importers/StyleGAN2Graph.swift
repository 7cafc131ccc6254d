import LayerGraph

/// Builds the canonical StyleGAN2 mapping and synthesis graphs from a configuration, following
/// the structure of stylegan2-ada-pytorch's `MappingNetwork` and `SynthesisNetwork` (which the
/// official `legacy.py` maps TensorFlow-era networks onto). Tensor names are that code's
/// `state_dict` names; both importers fill the same names, so both produce the same graph.
struct StyleGAN2Graph {
    let config: GeneratorConfig
    /// Features of the hidden mapping layers (TF `mapping_fmaps`; w_dim by default).
    let mappingFeatures: Int
    /// How labels enter the mapping network.
    let labels: LabelConditioning

    enum LabelConditioning {
        case none
        /// ADA: `embed` FC (with bias), normalised, concatenated after the normalised z.
        case embed
        /// StyleGAN2-TF `LabelConcat`: a bias-free matmul concatenated before normalisation.
        case concat
    }

    static let filterName = "synthesis.resample_filter"
    static let wAverageName = "mapping.w_avg"

    /// Expected shape of every tensor the graph reads, by canonical name.
    private(set) var expectedShapes: [String: [Int]] = [:]

    init(config: GeneratorConfig, mappingFeatures: Int, labels: LabelConditioning) {
        self.config = config
        self.mappingFeatures = mappingFeatures
        self.labels = config.cDim > 0 ? labels : .none
    }

    var blockResolutions: [Int] {
        var r = [Int]()
        var res = 4
        while res <= config.resolution { r.append(res); res *= 2 }
        return r
    }

    mutating func mapping() -> Graph {
        var nodes = [Node("z", .input), Node("c", .input)]
        let lr = config.mappingLRMultiplier
        var x: String
        var width: Int
        switch labels {
        case .none:
            nodes.append(Node("normalize_z", .normalize2ndMoment(eps: 1e-8), inputs: ["z"]))
            x = "normalize_z"; width = config.zDim
        case .embed:
            nodes.append(Node("normalize_z", .normalize2ndMoment(eps: 1e-8), inputs: ["z"]))
            nodes.append(dense("embed", into: config.wDim, from: config.cDim, input: "c", lr: 1, activation: .linear, bias: true))
            nodes.append(Node("normalize_embed", .normalize2ndMoment(eps: 1e-8), inputs: ["embed"]))
            nodes.append(Node("concat", .concat(axis: 1), inputs: ["normalize_z", "normalize_embed"]))
            x = "concat"; width = config.zDim + config.wDim
        case .concat:
            nodes.append(dense("label_concat", into: config.wDim, from: config.cDim, input: "c", lr: 1, activation: .linear, bias: false, gain: 1, weightGain: 1))
            nodes.append(Node("concat", .concat(axis: 1), inputs: ["z", "label_concat"]))
            nodes.append(Node("normalize", .normalize2ndMoment(eps: 1e-8), inputs: ["concat"]))
            x = "normalize"; width = config.zDim + config.wDim
        }
        for i in 0..<config.mappingLayers {
            let out = i == config.mappingLayers - 1 ? config.wDim : mappingFeatures
            nodes.append(dense("fc\(i)", into: out, from: width, input: x, lr: lr, activation: .lrelu, bias: true))
            x = "fc\(i)"; width = out
        }
        expectedShapes[Self.wAverageName] = [config.wDim]
        return Graph(nodes: nodes, output: x)
    }

    /// A mapping-network dense layer named `mapping.<name>`.
    private mutating func dense(_ name: String, into out: Int, from inputs: Int, input: String, lr: Float,
                                activation: Activation, bias: Bool, gain: Float? = nil, weightGain: Float? = nil) -> Node {
        let prefix = "mapping.\(name)"
        expectedShapes["\(prefix).weight"] = [out, inputs]
        if bias { expectedShapes["\(prefix).bias"] = [out] }
        let d = Dense(weight: "\(prefix).weight", bias: bias ? "\(prefix).bias" : nil,
                      weightGain: weightGain ?? lr / Float(inputs).squareRoot(), biasGain: lr,
                      activation: activation, gain: gain ?? (activation == .linear ? 1 : Float(2).squareRoot()))
        return Node(name, .dense(d), inputs: [input])
    }

    mutating func synthesis() -> Graph {
        guard let arch = config.architecture else { preconditionFailure("StyleGAN2 graph without an architecture") }
        var nodes = [Node("ws", .input)]
        expectedShapes[Self.filterName] = [config.resampleFilter.count, config.resampleFilter.count]
        var x = "", img: String? = nil
        var wIndex = 0
        let last = blockResolutions.last!
        for res in blockResolutions {
            let b = "synthesis.b\(res)"
            let channels = config.channels[res]!
            let isLast = res == last
            let hasRGB = isLast || arch == .skip
            if res == 4 {
                expectedShapes["\(b).const"] = [channels, 4, 4]
                nodes.append(Node("\(b).const", .constInput(param: "\(b).const"), inputs: ["ws"]))
                x = layer(&nodes, "\(b).conv1", input: "\(b).const", from: channels, to: channels, res: res, up: 1, w: wIndex, gain: 1)
                wIndex += 1
            } else {
                let previous = config.channels[res / 2]!
                let block = x
                x = layer(&nodes, "\(b).conv0", input: block, from: previous, to: channels, res: res, up: 2, w: wIndex, gain: 1)
                let gain: Float = arch == .resnet ? Float(0.5).squareRoot() : 1
                x = layer(&nodes, "\(b).conv1", input: x, from: channels, to: channels, res: res, up: 1, w: wIndex + 1, gain: gain)
                if arch == .resnet {
                    expectedShapes["\(b).skip.weight"] = [channels, previous, 1, 1]
                    let conv = Conv(weight: "\(b).skip.weight", weightGain: 1 / Float(previous).squareRoot(),
                                    up: 2, padding: 0, resampleFilter: Self.filterName)
                    nodes.append(Node("\(b).skip", .conv(conv), inputs: [block]))
                    nodes.append(Node("\(b).skip.act", .biasAct(BiasAct(bias: nil, activation: .linear, gain: gain, clamp: nil)), inputs: ["\(b).skip"]))
                    nodes.append(Node("\(b).add", .add(scale: 1), inputs: ["\(b).skip.act", x]))
                    x = "\(b).add"
                }
                wIndex += 2
                if let current = img, arch == .skip {
                    let up = UpFirDn(filter: Self.filterName, up: 2, down: 1, padding: skipPadding, gain: 4)
                    nodes.append(Node("\(b).img_up", .upfirdn2d(up), inputs: [current]))
                    img = "\(b).img_up"
                }
            }
            if hasRGB {
                let rgb = toRGB(&nodes, "\(b).torgb", input: x, from: channels, w: wIndex)
                if let current = img {
                    nodes.append(Node("\(b).img", .add(scale: 1), inputs: [current, rgb]))
                    img = "\(b).img"
                } else {
                    img = rgb
                }
            }
        }
        return Graph(nodes: nodes, output: img!)
    }

    /// `upsample2d` padding for the ×2 skip path: (k + 1) / 2 before, (k − 2) / 2 after.
    private var skipPadding: [Int] {
        let k = config.resampleFilter.count
        let p0 = (k + 1) / 2, p1 = (k - 2) / 2
        return [p0, p1, p0, p1]
    }

    /// W row `index` → style vector of `channels` through the layer's affine.
    private mutating func affine(_ nodes: inout [Node], _ prefix: String, w index: Int, channels: Int) -> String {
        nodes.append(Node("\(prefix).w", .selectW(index: index), inputs: ["ws"]))
        expectedShapes["\(prefix).affine.weight"] = [channels, config.wDim]
        expectedShapes["\(prefix).affine.bias"] = [channels]
        let d = Dense(weight: "\(prefix).affine.weight", bias: "\(prefix).affine.bias",
                      weightGain: 1 / Float(config.wDim).squareRoot(), biasGain: 1, activation: .linear, gain: 1)
        nodes.append(Node("\(prefix).affine", .dense(d), inputs: ["\(prefix).w"]))
        return "\(prefix).affine"
    }

    /// `SynthesisLayer`: affine, modulated 3×3 conv (demodulated), noise, bias + lrelu + clamp.
    private mutating func layer(_ nodes: inout [Node], _ prefix: String, input: String, from inC: Int, to outC: Int,
                                res: Int, up: Int, w: Int, gain: Float) -> String {
        let styles = affine(&nodes, prefix, w: w, channels: inC)
        expectedShapes["\(prefix).weight"] = [outC, inC, 3, 3]
        let conv = ModulatedConv(weight: "\(prefix).weight", styleGain: 1, demodulate: true, up: up, padding: 1,
                                 resampleFilter: up == 2 ? Self.filterName : nil)
        nodes.append(Node("\(prefix).conv", .modulatedConv(conv), inputs: [input, styles]))
        expectedShapes["\(prefix).noise_strength"] = []
        expectedShapes["\(prefix).noise_const"] = [res, res]
        nodes.append(Node("\(prefix).noise", .noise(Noise(strength: "\(prefix).noise_strength", constNoise: "\(prefix).noise_const", resolution: res)),
                          inputs: ["\(prefix).conv"]))
        expectedShapes["\(prefix).bias"] = [outC]
        let act = BiasAct(bias: "\(prefix).bias", activation: .lrelu, gain: Float(2).squareRoot() * gain,
                          clamp: config.convClamp.map { $0 * gain })
        nodes.append(Node(prefix, .biasAct(act), inputs: ["\(prefix).noise"]))
        return prefix
    }

    /// `ToRGBLayer`: affine, 1×1 modulated conv without demodulation, bias, clamp.
    private mutating func toRGB(_ nodes: inout [Node], _ prefix: String, input: String, from inC: Int, w: Int) -> String {
        let styles = affine(&nodes, prefix, w: w, channels: inC)
        expectedShapes["\(prefix).weight"] = [config.imgChannels, inC, 1, 1]
        let conv = ModulatedConv(weight: "\(prefix).weight", styleGain: 1 / Float(inC).squareRoot(), demodulate: false,
                                 up: 1, padding: 0, resampleFilter: nil)
        nodes.append(Node("\(prefix).conv", .modulatedConv(conv), inputs: [input, styles]))
        expectedShapes["\(prefix).bias"] = [config.imgChannels]
        nodes.append(Node(prefix, .biasAct(BiasAct(bias: "\(prefix).bias", activation: .linear, gain: 1, clamp: config.convClamp)),
                          inputs: ["\(prefix).conv"]))
        return prefix
    }
}
