import LayerGraph
import Tensors

/// StyleGAN2 (Network version 4) and StyleGAN2-ADA TensorFlow (version 5) generators, with the
/// name table of the official `legacy.py`: TF `[in, out]` dense and `[kh, kw, I, O]` conv
/// weights become PyTorch `[out, in]` / `[O, I, kh, kw]`, up-sampling conv kernels are flipped,
/// `mod_bias + 1` becomes the affine bias, noise variables become `noise_const` buffers.
struct TFStyleGAN2Importer {
    let network: TFNetworkState
    let root: String

    /// Static kwargs whose values we understand (legacy.py's list plus StyleGAN2's own).
    static let knownKwargs: Set<String> = [
        "latent_size", "label_size", "dlatent_size", "resolution", "num_channels", "mapping_layers",
        "label_fmaps", "mapping_fmaps", "mapping_nonlinearity", "mapping_lrmul", "w_avg_beta", "dlatent_avg_beta",
        "fmap_base", "fmap_max", "fmap_decay", "fmap_min", "num_fp16_res", "conv_clamp", "architecture",
        "resample_kernel", "use_noise", "nonlinearity", "truncation_psi", "truncation_cutoff",
        "style_mixing_prob", "structure", "dlatent_broadcast", "is_template_graph", "randomize_noise",
        "fused_modconv", "components", "mapping_func", "synthesis_func", "dtype", "is_training", "return_dlatents",
    ]

    func importGraph() throws(ImportError) -> LayerGraph {
        for key in network.staticKwargs.keys.sorted() where !Self.knownKwargs.contains(key) {
            throw .unsupported("\(root): static kwarg '\(key)' = \(network.staticKwargs[key]!) is not understood")
        }
        if let f = network.kwarg("synthesis_func")?.string, f != "G_synthesis_stylegan2", f != Self.revised {
            throw .unsupported("\(root): synthesis function \(f) is not supported")
        }
        guard network.components["mapping"] != nil, network.components["synthesis"] != nil else {
            throw .malformed(path: root, "the Network has no mapping/synthesis components")
        }
        var source = try network.flattenedTensors(root: root)
        let config = try inferConfig(source)
        let labels: StyleGAN2Graph.LabelConditioning = source.contains("\(root)/mapping/LabelConcat/weight") ? .concat : .embed
        let mappingFeatures = source.peek("\(root)/mapping/Dense0/weight")!.shape.dims[1]
        var builder = StyleGAN2Graph(config: config, mappingFeatures: mappingFeatures, labels: labels)
        let mapping = builder.mapping()
        let synthesis = builder.synthesis()

        var tensors = TensorTable()
        func put(_ name: String, _ t: Tensor) throws(ImportError) {
            let expected = builder.expectedShapes[name]
            if let expected, t.shape.dims != expected { throw .shapeMismatch(path: "\(root) → \(name)", expected: expected, actual: t.shape.dims) }
            do { try tensors.insert(name, t) } catch { throw .malformed(path: name, error.description) }
        }
        let m = "\(root)/mapping", s = "\(root)/synthesis"
        for i in 0..<config.mappingLayers {
            try put("mapping.fc\(i).weight", transposed(try source.take("\(m)/Dense\(i)/weight")))
            try put("mapping.fc\(i).bias", try source.take("\(m)/Dense\(i)/bias"))
        }
        if config.cDim > 0, labels == .concat {
            try put("mapping.label_concat.weight", transposed(try source.take("\(m)/LabelConcat/weight")))
        } else if config.cDim > 0 {
            try put("mapping.embed.weight", transposed(try source.take("\(m)/LabelEmbed/weight")))
            try put("mapping.embed.bias", try source.take("\(m)/LabelEmbed/bias"))
        }
        try put(StyleGAN2Graph.wAverageName, try source.take("\(root)/dlatent_avg"))
        try put(StyleGAN2Graph.filterName, filter2D(config.resampleFilter))
        for res in builder.blockResolutions {
            let b = "synthesis.b\(res)", tf = "\(s)/\(res)x\(res)"
            let log2 = res.trailingZeroBitCount
            if res == 4 {
                let c = try source.take("\(tf)/Const/const")
                try put("\(b).const", try reshaped(c, Array(c.shape.dims.dropFirst()), path: "\(tf)/Const/const"))
                try layer(&source, put, tf: "\(tf)/Conv", canonical: "\(b).conv1", noise: "\(s)/noise0", flip: false)
            } else {
                try layer(&source, put, tf: "\(tf)/Conv0_up", canonical: "\(b).conv0", noise: "\(s)/noise\(2 * log2 - 5)", flip: true)
                try layer(&source, put, tf: "\(tf)/Conv1", canonical: "\(b).conv1", noise: "\(s)/noise\(2 * log2 - 4)", flip: false)
                if config.architecture == .resnet {
                    try put("\(b).skip.weight", convWeight(try source.take("\(tf)/Skip/weight"), flip: true))
                }
            }
            if res == config.resolution || config.architecture == .skip {
                let rgb = isRevised ? "\(s)/ToRGB_lod0" : "\(tf)/ToRGB"
                try affine(&source, put, tf: rgb, canonical: "\(b).torgb")
                try put("\(b).torgb.weight", convWeight(try source.take("\(rgb)/weight"), flip: false))
                try put("\(b).torgb.bias", try source.take("\(rgb)/bias"))
            }
        }
        for path in ["\(root)/lod", "\(s)/lod"] {
            if isRevised, let lod = source.peek(path)?.floats().first, lod != 0 {
                throw .unsupported("\(path) = \(lod): a snapshot taken while growing (only lod 0 is the finished network)")
            }
            source.ignore(path)
        }
        if isRevised {
            for path in source.order where path.hasPrefix("\(s)/ToRGB_lod") { source.ignore(path) }
        }
        try source.requireAllConsumed()
        return LayerGraph(config: config, mapping: mapping, synthesis: synthesis, tensors: tensors,
                          wAverage: StyleGAN2Graph.wAverageName,
                          provenance: Self.provenance + (isRevised ? [Self.revisedNote] : []))
    }

    /// StyleGAN2 configs B–D (`G_synthesis_stylegan_revised`): at lod 0 the output is the last
    /// block's `ToRGB_lod0`, which makes the network the `orig` architecture exactly.
    static let revised = "G_synthesis_stylegan_revised"
    static let revisedNote = "G_synthesis_stylegan_revised (configs B–D) at lod 0 imported as orig: ToRGB_lod0 is the final ToRGB, ToRGB_lod1 and above are unused"
    var isRevised: Bool { network.kwarg("synthesis_func")?.string == Self.revised }

    static let provenance = [
        "TensorFlow [in, out] dense and [kh, kw, I, O] conv weights transposed to [out, in] and [O, I, kh, kw] (legacy.py)",
        "Conv0_up and Skip kernels flipped spatially (TF conv2d_transpose → correlation, legacy.py)",
        "mod_bias + 1 stored as the affine bias (PyTorch bias_init = 1)",
        "noise variables [1, 1, R, R] stored as noise_const [R, R]; the constant input [1, C, 4, 4] as [C, 4, 4]",
        "resample filter built from resample_kernel as outer(k, k) / sum(k)²",
    ]

    private func layer(_ source: inout SourceTensors, _ put: (String, Tensor) throws(ImportError) -> Void,
                       tf: String, canonical: String, noise: String, flip: Bool) throws(ImportError) {
        try affine(&source, put, tf: tf, canonical: canonical)
        try put("\(canonical).weight", convWeight(try source.take("\(tf)/weight"), flip: flip))
        try put("\(canonical).noise_strength", try source.take("\(tf)/noise_strength", shape: []))
        let n = try source.take(noise)
        try put("\(canonical).noise_const", try reshaped(n, Array(n.shape.dims.suffix(2)), path: noise))
        try put("\(canonical).bias", try source.take("\(tf)/bias"))
    }

    private func affine(_ source: inout SourceTensors, _ put: (String, Tensor) throws(ImportError) -> Void,
                        tf: String, canonical: String) throws(ImportError) {
        try put("\(canonical).affine.weight", transposed(try source.take("\(tf)/mod_weight")))
        let b = try source.take("\(tf)/mod_bias")
        try put("\(canonical).affine.bias", try mapFloats(b, path: "\(tf)/mod_bias") { $0 + 1 })
    }

    private func inferConfig(_ source: SourceTensors) throws(ImportError) -> GeneratorConfig {
        let m = "\(root)/mapping", s = "\(root)/synthesis"
        var layers = 0
        while source.contains("\(m)/Dense\(layers)/weight") { layers += 1 }
        guard layers > 0, let first = source.peek("\(m)/Dense0/weight"), first.shape.rank == 2,
              let last = source.peek("\(m)/Dense\(layers - 1)/weight") else {
            throw .missingTensor(path: "\(m)/Dense0/weight")
        }
        let wDim = last.shape.dims[1]
        var cDim = 0
        var zDim = first.shape.dims[0]
        if let label = source.peek("\(m)/LabelConcat/weight") ?? source.peek("\(m)/LabelEmbed/weight") {
            cDim = label.shape.dims[0]
            zDim -= label.shape.dims[1]
        }
        var channels: [Int: Int] = [:]
        var res = 4
        guard let c4 = source.peek("\(s)/4x4/Const/const"), c4.shape.rank == 4 else { throw .missingTensor(path: "\(s)/4x4/Const/const") }
        channels[4] = c4.shape.dims[1]
        while let w = source.peek("\(s)/\(res * 2)x\(res * 2)/Conv1/weight") {
            res *= 2
            guard w.shape.rank == 4 else { throw .malformed(path: "\(s)/\(res)x\(res)/Conv1/weight", "not a 4-D kernel") }
            channels[res] = w.shape.dims[3]
        }
        if let declared = network.kwarg("resolution")?.int, declared != res {
            throw .malformed(path: root, "static kwarg resolution \(declared) but the blocks reach \(res)")
        }
        let archName = isRevised ? "orig" : network.kwarg("architecture")?.string ?? "skip"
        guard let arch = Architecture(rawValue: archName) else { throw .unsupported("\(root): architecture '\(archName)'") }
        let rgbBias = isRevised ? "\(s)/ToRGB_lod0/bias" : "\(s)/\(res)x\(res)/ToRGB/bias"
        guard let rgb = source.peek(rgbBias), rgb.shape.rank == 1 else { throw .missingTensor(path: rgbBias) }
        let kernel = network.kwarg("resample_kernel").flatMap(Self.floats) ?? [1, 3, 3, 1]
        let clamp = network.kwarg("conv_clamp")?.double.map(Float.init)
        let fp16 = network.kwarg("num_fp16_res")?.int ?? 0
        let log2 = res.trailingZeroBitCount
        let fp16Res = channels.keys.sorted().filter { $0 >= max(1 << (log2 + 1 - fp16), 8) && fp16 > 0 }
        return GeneratorConfig(
            family: network.version >= 5 ? .styleGAN2ADA : .styleGAN2, zDim: zDim, wDim: wDim, cDim: cDim,
            numWs: 2 * log2 - 2, resolution: res, imgChannels: rgb.shape.dims[0], architecture: arch,
            mappingLayers: layers, mappingLRMultiplier: Float(network.kwarg("mapping_lrmul")?.double ?? 0.01),
            channels: channels, convClamp: clamp, fp16Resolutions: fp16Res, resampleFilter: kernel,
            sourceTruncationPsi: Float(network.kwarg("truncation_psi")?.double ?? 0.5),
            sourceTruncationCutoff: network.kwarg("truncation_cutoff")?.int)
    }

    static func floats(_ v: ConfigValue) -> [Float]? {
        guard case .list(let items) = v else { return nil }
        let fs = items.compactMap { $0.double.map(Float.init) }
        return fs.count == items.count && !fs.isEmpty ? fs : nil
    }
}

/// TF `[in, out]` → `[out, in]`.
func transposed(_ t: Tensor) throws(ImportError) -> Tensor {
    guard t.shape.rank == 2 else { throw .malformed(path: "", "expected a 2-D weight, got \(t.shape)") }
    return t.permuted([1, 0])
}

/// TF `[kh, kw, I, O]` → `[O, I, kh, kw]`, flipping the kernel spatially when `flip`.
func convWeight(_ t: Tensor, flip: Bool) throws(ImportError) -> Tensor {
    guard t.shape.rank == 4 else { throw .malformed(path: "", "expected a 4-D kernel, got \(t.shape)") }
    return t.permuted([3, 2, 0, 1], reversing: flip ? [0, 1] : [])
}

/// Elementwise float32 map (used for the `+ 1` on modulation biases).
func mapFloats(_ t: Tensor, path: String, _ f: (Float) -> Float) throws(ImportError) -> Tensor {
    do { return try Tensor(.f32, shape: t.shape, floats: t.floats().map(f)) } catch { throw .malformed(path: path, error.description) }
}

func reshaped(_ t: Tensor, _ dims: [Int], path: String) throws(ImportError) -> Tensor {
    do { return try t.reshaped(dims) } catch { throw .malformed(path: path, error.description) }
}

/// The 2-D FIR filter of stylegan2-ada-pytorch's `setup_filter`: outer(k, k) / sum(k)².
func filter2D(_ taps: [Float]) -> Tensor {
    let sum = taps.reduce(0, +)
    var values = [Float]()
    for a in taps { for b in taps { values.append(a * b / (sum * sum)) } }
    return try! Tensor(.f32, shape: Shape([taps.count, taps.count]), floats: values)
}
