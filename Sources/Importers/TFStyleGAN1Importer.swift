import LayerGraph
import Tensors

/// StyleGAN1 (`G_style`, Network version 3), read from the official TensorFlow layout
/// (../shared/docs/NVLABS-FORMATS.md, "SG1 synthesis"). The graph runs at lod 0: the final
/// `ToRGB_lod0` is the output and the lower-resolution ToRGB layers are accounted as unused.
struct TFStyleGAN1Importer {
    let network: TFNetworkState
    let root: String

    static let blurName = "synthesis.blur_filter"
    static let provenance = [
        "TensorFlow [in, out] dense and [kh, kw, I, O] conv weights transposed to [out, in] and [O, I, kh, kw]",
        "fused up-sampling convolutions (output ≥ 128²) stored as nearest ×2 + a 3×3 correlation with the spatially flipped kernel (equal to TF's conv2d_transpose with the summed 4×4 kernel)",
        "equalised-learning-rate gains recorded per layer (√2/√fan_in for convs and mapping, 1/√fan_in for StyleMod and ToRGB)",
        "noise variables [1, 1, R, R] stored as noise_const [R, R]; the constant input [1, C, 4, 4] as [C, 4, 4]",
        "ToRGB_lod1 and above are not used at lod 0",
    ]

    func importGraph() throws(ImportError) -> LayerGraph {
        guard network.components["synthesis"] != nil, network.components["mapping"] != nil else {
            throw .malformed(path: root, "the Network has no mapping/synthesis components")
        }
        var source = try network.flattenedTensors(root: root)
        let m = "\(root)/mapping", s = "\(root)/synthesis"
        var tensors = TensorTable()
        func put(_ name: String, _ t: Tensor) throws(ImportError) {
            do { try tensors.insert(name, t) } catch { throw .malformed(path: name, error.description) }
        }

        // Mapping: SG1 puts the √2 gain into the weight and has no gain after lrelu.
        var layers = 0
        while source.contains("\(m)/Dense\(layers)/weight") { layers += 1 }
        guard layers > 0 else { throw .missingTensor(path: "\(m)/Dense0/weight") }
        if source.contains("\(m)/LabelConcat/weight") { throw .unsupported("\(root): conditional StyleGAN1 (LabelConcat) is not supported yet") }
        let lr = Float(network.kwarg("mapping_lrmul")?.double ?? 0.01)
        var mapNodes = [Node("z", .input), Node("c", .input), Node("normalize_z", .normalize2ndMoment(eps: 1e-8), inputs: ["z"])]
        var x = "normalize_z"
        var zDim = 0, wDim = 0
        for i in 0..<layers {
            let w = try transposed(try source.take("\(m)/Dense\(i)/weight"))
            let (out, inputs) = (w.shape.dims[0], w.shape.dims[1])
            if i == 0 { zDim = inputs }
            wDim = out
            try put("mapping.fc\(i).weight", w)
            try put("mapping.fc\(i).bias", try source.take("\(m)/Dense\(i)/bias", shape: [out]))
            let d = Dense(weight: "mapping.fc\(i).weight", bias: "mapping.fc\(i).bias",
                          weightGain: Float(2).squareRoot() * lr / Float(inputs).squareRoot(), biasGain: lr, activation: .lrelu, gain: 1)
            mapNodes.append(Node("fc\(i)", .dense(d), inputs: [x]))
            x = "fc\(i)"
        }
        try put("mapping.w_avg", try source.take("\(root)/dlatent_avg", shape: [wDim]))

        // Synthesis.
        guard let const = source.peek("\(s)/4x4/Const/const"), const.shape.rank == 4 else { throw .missingTensor(path: "\(s)/4x4/Const/const") }
        var channels: [Int: Int] = [4: const.shape.dims[1]]
        var res = 4
        while let w = source.peek("\(s)/\(res * 2)x\(res * 2)/Conv1/weight"), w.shape.rank == 4 {
            res *= 2
            channels[res] = w.shape.dims[3]
        }
        let resolution = res
        let log2 = resolution.trailingZeroBitCount
        try put(Self.blurName, filter2D([1, 2, 1]))
        var nodes = [Node("ws", .input)]
        var ctx = Context(source: source, root: s, wDim: wDim)
        try put("synthesis.b4.const", try reshaped(try ctx.source.take("\(s)/4x4/Const/const"), [channels[4]!, 4, 4], path: "\(s)/4x4/Const/const"))
        nodes.append(Node("synthesis.b4.const", .constInput(param: "synthesis.b4.const"), inputs: ["ws"]))
        x = try ctx.epilogue(&nodes, put, tf: "\(s)/4x4/Const", name: "synthesis.b4.input", input: "synthesis.b4.const", res: 4, index: 0)
        x = try ctx.conv(&nodes, put, tf: "\(s)/4x4/Conv", name: "synthesis.b4.conv1", input: x, res: 4, index: 1, up: false)
        for r in channels.keys.sorted() where r > 4 {
            let l = r.trailingZeroBitCount
            x = try ctx.conv(&nodes, put, tf: "\(s)/\(r)x\(r)/Conv0_up", name: "synthesis.b\(r).conv0", input: x, res: r, index: 2 * l - 4, up: true)
            x = try ctx.conv(&nodes, put, tf: "\(s)/\(r)x\(r)/Conv1", name: "synthesis.b\(r).conv1", input: x, res: r, index: 2 * l - 3, up: false)
        }
        let rgb = try convWeight(try ctx.source.take("\(s)/ToRGB_lod0/weight"), flip: false)
        let imgChannels = rgb.shape.dims[0]
        try put("synthesis.torgb.weight", rgb)
        try put("synthesis.torgb.bias", try ctx.source.take("\(s)/ToRGB_lod0/bias", shape: [imgChannels]))
        nodes.append(Node("synthesis.torgb.conv", .conv(Conv(weight: "synthesis.torgb.weight", weightGain: 1 / Float(channels[resolution]!).squareRoot(),
                                                         up: 1, padding: 0, resampleFilter: nil)), inputs: [x]))
        nodes.append(Node("synthesis.torgb", .biasAct(BiasAct(bias: "synthesis.torgb.bias", activation: .linear, gain: 1, clamp: nil)),
                          inputs: ["synthesis.torgb.conv"]))
        for lod in 1...max(1, log2 - 2) {
            ctx.source.ignore("\(s)/ToRGB_lod\(lod)/weight")
            ctx.source.ignore("\(s)/ToRGB_lod\(lod)/bias")
        }
        ctx.source.ignore("\(root)/lod")
        ctx.source.ignore("\(s)/lod")
        try ctx.source.requireAllConsumed()

        let config = GeneratorConfig(
            family: .styleGAN1, zDim: zDim, wDim: wDim, cDim: 0, numWs: 2 * log2 - 2, resolution: resolution,
            imgChannels: imgChannels, architecture: nil, mappingLayers: layers, mappingLRMultiplier: lr,
            channels: channels, convClamp: nil, fp16Resolutions: [], resampleFilter: [1, 2, 1],
            sourceTruncationPsi: Float(network.kwarg("truncation_psi")?.double ?? 0.7),
            sourceTruncationCutoff: network.kwarg("truncation_cutoff")?.int ?? 8)
        return LayerGraph(config: config, mapping: Graph(nodes: mapNodes, output: "fc\(layers - 1)"),
                          synthesis: Graph(nodes: nodes, output: "synthesis.torgb"), tensors: tensors,
                          wAverage: "mapping.w_avg", provenance: Self.provenance)
    }

    private struct Context {
        var source: SourceTensors
        let root: String
        let wDim: Int

        /// A 3×3 conv layer (nearest ×2 first when `up`, then the [1,2,1] blur) and its epilogue.
        mutating func conv(_ nodes: inout [Node], _ put: (String, Tensor) throws(ImportError) -> Void,
                           tf: String, name: String, input: String, res: Int, index: Int, up: Bool) throws(ImportError) -> String {
            // Output ≥ 128² used TF's fused transposed convolution, equal to the flipped kernel here.
            let w = try convWeight(try source.take("\(tf)/weight"), flip: up && res >= 128)
            try put("\(name).weight", w)
            var x = input
            if up {
                nodes.append(Node("\(name).up", .upsampleNearest(factor: 2), inputs: [x]))
                x = "\(name).up"
            }
            let gain = Float(2).squareRoot() / Float(w.shape.dims[1] * 9).squareRoot()
            nodes.append(Node("\(name).conv", .conv(Conv(weight: "\(name).weight", weightGain: gain, up: 1, padding: 1, resampleFilter: nil)), inputs: [x]))
            x = "\(name).conv"
            if up {
                let blur = UpFirDn(filter: TFStyleGAN1Importer.blurName, up: 1, down: 1, padding: [1, 1, 1, 1], gain: 1)
                nodes.append(Node("\(name).blur", .upfirdn2d(blur), inputs: [x]))
                x = "\(name).blur"
            }
            return try epilogue(&nodes, put, tf: tf, name: name, input: x, res: res, index: index)
        }

        /// `layer_epilogue`: noise · per-channel weight, bias, lrelu, instance norm, AdaIN style.
        mutating func epilogue(_ nodes: inout [Node], _ put: (String, Tensor) throws(ImportError) -> Void,
                               tf: String, name: String, input: String, res: Int, index: Int) throws(ImportError) -> String {
            let noise = try source.take("\(root)/noise\(index)", shape: [1, 1, res, res])
            try put("\(name).noise_const", try reshaped(noise, [res, res], path: "\(root)/noise\(index)"))
            let strength = try source.take("\(tf)/Noise/weight")
            try put("\(name).noise_strength", strength)
            nodes.append(Node("\(name).noise", .noise(Noise(strength: "\(name).noise_strength", constNoise: "\(name).noise_const", resolution: res)), inputs: [input]))
            try put("\(name).bias", try source.take("\(tf)/bias"))
            nodes.append(Node("\(name).act", .biasAct(BiasAct(bias: "\(name).bias", activation: .lrelu, gain: 1, clamp: nil)), inputs: ["\(name).noise"]))
            nodes.append(Node("\(name).norm", .instanceNorm(eps: 1e-8), inputs: ["\(name).act"]))
            try put("\(name).style.weight", try transposed(try source.take("\(tf)/StyleMod/weight")))
            try put("\(name).style.bias", try source.take("\(tf)/StyleMod/bias"))
            nodes.append(Node("\(name).w", .selectW(index: index), inputs: ["ws"]))
            let style = Dense(weight: "\(name).style.weight", bias: "\(name).style.bias", weightGain: 1 / Float(wDim).squareRoot(),
                              biasGain: 1, activation: .linear, gain: 1)
            nodes.append(Node("\(name).style", .dense(style), inputs: ["\(name).w"]))
            nodes.append(Node(name, .adaIN, inputs: ["\(name).norm", "\(name).style"]))
            return name
        }
    }
}
