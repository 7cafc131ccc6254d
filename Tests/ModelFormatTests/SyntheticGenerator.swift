import LayerGraph
import Tensors

/// Full-size StyleGAN2 (skip architecture) graphs with synthetic tensors, for sizes and load
/// times of files as big as real ones: config F at 1024² (≈30 M parameters, ≈120 MB in f32)
/// and the ADA `paper256` configuration. Built here, from the published architecture, so the
/// tests do not depend on an importer's internals; `LayerGraph.validate()` checks the result.
enum SyntheticGenerator {
    /// Channels per resolution: min(channelBase / res, channelMax).
    static func config(resolution: Int, channelBase: Int, channelMax: Int, mappingLayers: Int) -> GeneratorConfig {
        var channels: [Int: Int] = [:]
        var r = 4
        var blocks = 0
        while r <= resolution { channels[r] = min(channelBase / r, channelMax); r *= 2; blocks += 1 }
        return GeneratorConfig(family: .styleGAN2, zDim: 512, wDim: 512, cDim: 0, numWs: 2 * blocks, resolution: resolution,
                               imgChannels: 3, architecture: .skip, mappingLayers: mappingLayers, mappingLRMultiplier: 0.01,
                               channels: channels, convClamp: nil, fp16Resolutions: [], resampleFilter: [1, 3, 3, 1])
    }

    static let configF = config(resolution: 1024, channelBase: 32768, channelMax: 512, mappingLayers: 8)
    static let paper256 = config(resolution: 256, channelBase: 16384, channelMax: 512, mappingLayers: 8)

    /// The graph; tensor values come from `fill` (a repeating pseudo-random pattern by default).
    static func graph(_ c: GeneratorConfig, values: Bool = true) -> LayerGraph {
        var shapes: [(String, [Int])] = []
        var mapping = [Node("z", .input), Node("c", .input), Node("normalize_z", .normalize2ndMoment(eps: 1e-8), inputs: ["z"])]
        var x = "normalize_z"
        for i in 0..<c.mappingLayers {
            let p = "mapping.fc\(i)"
            shapes += [("\(p).weight", [c.wDim, i == 0 ? c.zDim : c.wDim]), ("\(p).bias", [c.wDim])]
            mapping.append(Node("fc\(i)", .dense(Dense(weight: "\(p).weight", bias: "\(p).bias", weightGain: 0.01 / Float(c.wDim).squareRoot(),
                                                       biasGain: 0.01, activation: .lrelu, gain: Float(2).squareRoot())), inputs: [x]))
            x = "fc\(i)"
        }
        shapes.append(("mapping.w_avg", [c.wDim]))
        let filter = "synthesis.resample_filter"
        shapes.append((filter, [4, 4]))

        var nodes = [Node("ws", .input)]
        var w = 0
        func affine(_ p: String, _ channels: Int) -> String {
            shapes += [("\(p).affine.weight", [channels, c.wDim]), ("\(p).affine.bias", [channels])]
            nodes.append(Node("\(p).w", .selectW(index: min(w, c.numWs - 1)), inputs: ["ws"]))
            nodes.append(Node("\(p).affine", .dense(Dense(weight: "\(p).affine.weight", bias: "\(p).affine.bias",
                                                          weightGain: 1 / Float(c.wDim).squareRoot(), biasGain: 1, activation: .linear, gain: 1)),
                              inputs: ["\(p).w"]))
            return "\(p).affine"
        }
        func layer(_ p: String, _ input: String, _ inC: Int, _ outC: Int, _ res: Int, up: Int) -> String {
            let s = affine(p, inC)
            shapes += [("\(p).weight", [outC, inC, 3, 3]), ("\(p).noise_strength", []), ("\(p).noise_const", [res, res]), ("\(p).bias", [outC])]
            nodes.append(Node("\(p).conv", .modulatedConv(ModulatedConv(weight: "\(p).weight", styleGain: 1, demodulate: true, up: up, padding: 1,
                                                                        resampleFilter: up == 2 ? filter : nil)), inputs: [input, s]))
            nodes.append(Node("\(p).noise", .noise(Noise(strength: "\(p).noise_strength", constNoise: "\(p).noise_const", resolution: res)),
                              inputs: ["\(p).conv"]))
            nodes.append(Node(p, .biasAct(BiasAct(bias: "\(p).bias", activation: .lrelu, gain: Float(2).squareRoot(), clamp: nil)),
                              inputs: ["\(p).noise"]))
            return p
        }
        var img: String?
        var res = 4
        while res <= c.resolution {
            let b = "synthesis.b\(res)", ch = c.channels[res]!
            if res == 4 {
                shapes.append(("\(b).const", [ch, 4, 4]))
                nodes.append(Node("\(b).const", .constInput(param: "\(b).const"), inputs: ["ws"]))
                x = layer("\(b).conv1", "\(b).const", ch, ch, res, up: 1)
                w += 1
            } else {
                x = layer("\(b).conv0", x, c.channels[res / 2]!, ch, res, up: 2)
                w += 1
                x = layer("\(b).conv1", x, ch, ch, res, up: 1)
                w += 1
                nodes.append(Node("\(b).img_up", .upfirdn2d(UpFirDn(filter: filter, up: 2, down: 1, padding: [2, 1, 2, 1], gain: 4)), inputs: [img!]))
                img = "\(b).img_up"
            }
            let p = "\(b).torgb"
            let s = affine(p, ch)
            shapes += [("\(p).weight", [c.imgChannels, ch, 1, 1]), ("\(p).bias", [c.imgChannels])]
            nodes.append(Node("\(p).conv", .modulatedConv(ModulatedConv(weight: "\(p).weight", styleGain: 1 / Float(ch).squareRoot(), demodulate: false,
                                                                        up: 1, padding: 0, resampleFilter: nil)), inputs: [x, s]))
            nodes.append(Node(p, .biasAct(BiasAct(bias: "\(p).bias", activation: .linear, gain: 1, clamp: nil)), inputs: ["\(p).conv"]))
            if let current = img {
                nodes.append(Node("\(b).img", .add(scale: 1), inputs: [current, p]))
                img = "\(b).img"
            } else {
                img = p
            }
            res *= 2
        }
        // One block of pseudo-random values, tiled: cheap to make, not constant.
        let pattern = SGANTest.values(1 << 16, seed: 7, scale: 0.5)
        var tensors = TensorTable()
        for (name, dims) in shapes {
            var t = try! Tensor(zeros: .f32, shape: try! Shape(dims))
            if values {
                let n = t.shape.count
                t.withUnsafeMutableBytes { raw in
                    let f = raw.bindMemory(to: Float.self)
                    pattern.withUnsafeBufferPointer { src in
                        var i = 0
                        while i < n {
                            let k = min(src.count, n - i)
                            UnsafeMutableRawPointer(f.baseAddress! + i).copyMemory(from: src.baseAddress!, byteCount: 4 * k)
                            i += k
                        }
                    }
                }
            }
            try! tensors.insert(name, t)
        }
        return LayerGraph(config: c, mapping: Graph(nodes: mapping, output: x == "" ? "fc0" : "fc\(c.mappingLayers - 1)"),
                          synthesis: Graph(nodes: nodes, output: img!), tensors: tensors, wAverage: "mapping.w_avg",
                          provenance: ["synthetic: tiled pseudo-random values"])
    }
}
