import Foundation
import Kernels
import LayerGraph

/// Which 3×3 stride-1 convolutions get a Winograd F(4,3) form when a generator is loaded.
public enum WinogradPolicy: String, Sendable {
    /// Where it pays for its memory (see `PackedWeights.wantsWinograd`).
    case automatic = "auto"
    /// Never: every convolution runs direct.
    case off
    /// Every 3×3 stride-1 convolution (the kernels still run it direct on maps under 16×16):
    /// for parity tests and measurements.
    case all

    /// The policy for generators created in this task: `STYLEGAN_WINOGRAD` (auto, off or all;
    /// read here only) unless bound with `WinogradPolicy.$current.withValue(…)`.
    @TaskLocal public static var current: WinogradPolicy =
        ProcessInfo.processInfo.environment["STYLEGAN_WINOGRAD"].flatMap(WinogradPolicy.init(rawValue:)) ?? .automatic
}

/// Weights packed once at load for the fast kernels, keyed by weight tensor (and gain or
/// layout), so the same tensor used twice is packed once.
struct PackedWeights: @unchecked Sendable {
    private(set) var dense: [String: PackedDenseWeights] = [:]
    private(set) var conv: [String: PackedConvWeights] = [:]

    init(graph: LayerGraph, param: (String) -> [Float]) {
        let policy = WinogradPolicy.current
        // Per-sample output shapes [C, H, W] (the executor has validated the graph already).
        let shapes = (try? graph.validate()) ?? [:]
        for node in graph.mapping.nodes + graph.synthesis.nodes {
            let output = shapes["synthesis/\(node.name)"]
            switch node.op {
            case .dense(let d):
                let dims = graph.tensors[d.weight]!.shape.dims
                dense[Self.key(d)] = PackedDenseWeights(weight: param(d.weight), outFeatures: dims[0], inFeatures: dims[1], weightGain: d.weightGain)
            case .modulatedConv(let m):
                let layout: PackedConvWeights.Layout = m.up == 2 ? .transposed : .conv
                let wino = Self.wantsWinograd(graph, m.weight, up: m.up, output: output, policy)
                conv[Self.key(m.weight, gain: 1, layout)] = pack(graph, m.weight, param, gain: 1, layout, winograd: wino)
            case .conv(let c):
                let k = graph.tensors[c.weight]!.shape.dims[2]
                let layout: PackedConvWeights.Layout = c.up == 2 && k > 1 ? .transposed : .conv
                let wino = Self.wantsWinograd(graph, c.weight, up: c.up, output: output, policy)
                conv[Self.key(c.weight, gain: c.weightGain, layout)] = pack(graph, c.weight, param, gain: c.weightGain, layout, winograd: wino)
            default:
                break
            }
        }
    }

    /// The Winograd policy: F(4,3) for 3×3 stride-1 convolutions whose output map is at least
    /// 64×64, nothing else.
    ///
    /// Why F(4,3) and no F(2,3): F(4,3) was faster than both F(2,3) and the direct path on every
    /// StyleGAN layer from 16² up (Benchmarks/Kernels.md: 2.5–3.5× over direct, F(2,3) 1.5–2×).
    /// Why a map-size threshold: the Winograd form costs 36/9 = 4× the layer's 3×3 weights in
    /// extra bytes (36·O·I·4), and saves (9 − 2.25)·O·I·H·W multiply-adds per image, so the work
    /// saved per extra byte is 0.047·H·W, independent of the channel counts: it is the map size
    /// alone that says whether the memory is well spent. At 64² that is 190 multiply-adds saved
    /// per byte (config-f's 512-channel 64² layer: +38 MB for ≈ 50 ms per image); at 32² and
    /// below, where StyleGAN's 512-channel layers hold most of the parameters, a quarter or less
    /// (+38 MB each for ≤ 10 ms). Totals: config-f 1024² +51 MB (64² to 1024²), paper256 +12.5 MB
    /// (64² to 256²); the runtime's peak-memory budget is model bytes + 2.5 × the largest
    /// activation (458 MB at 1024²).
    static func wantsWinograd(_ graph: LayerGraph, _ weight: String, up: Int, output: [Int]?,
                              _ policy: WinogradPolicy) -> WinogradTile? {
        let dims = graph.tensors[weight]!.shape.dims
        guard up == 1, dims.count == 4, dims[2] == 3, dims[3] == 3 else { return nil }
        switch policy {
        case .off: return nil
        case .all: return .f4x3
        case .automatic:
            guard let output, output.count == 3, output[1] >= 64, output[2] >= 64 else { return nil }
            return .f4x3
        }
    }

    /// The tensors that are packed (dense and convolution weights of canonical nodes).
    static func weightNames(_ graph: LayerGraph) -> Set<String> {
        var names = Set<String>()
        for node in graph.mapping.nodes + graph.synthesis.nodes {
            switch node.op {
            case .dense(let d): names.insert(d.weight)
            case .modulatedConv(let m): names.insert(m.weight)
            case .conv(let c): names.insert(c.weight)
            default: break
            }
        }
        return names
    }

    private func pack(_ graph: LayerGraph, _ name: String, _ param: (String) -> [Float], gain: Float,
                      _ layout: PackedConvWeights.Layout, winograd: WinogradTile?) -> PackedConvWeights {
        let d = graph.tensors[name]!.shape.dims
        return PackedConvWeights(weight: param(name), outChannels: d[0], inChannels: d[1], kernel: d[2], weightGain: gain, layout: layout,
                                 winograd: winograd)
    }

    static func key(_ d: Dense) -> String { "\(d.weight)|\(d.weightGain.bitPattern)" }
    static func key(_ weight: String, gain: Float, _ layout: PackedConvWeights.Layout) -> String {
        "\(weight)|\(gain.bitPattern)|\(layout == .transposed ? "T" : "C")"
    }
}
