import Foundation
import Kernels
import LayerGraph

/// Which 3×3 stride-1 convolutions get a Winograd form when a generator is loaded.
public enum WinogradPolicy: String, Sendable {
    /// Where it pays for its memory (see `PackedWeights.winogradTile`).
    case automatic = "auto"
    /// Never: every convolution runs direct.
    case off
    /// F(4,3) on every 3×3 stride-1 convolution, whatever its map size: for parity tests and
    /// measurements.
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

    /// `shapes`: the per-sample value shapes `graph.validate()` returned (output maps [C, H, W]
    /// decide the Winograd tile).
    init(graph: LayerGraph, shapes: [String: [Int]], param: (String) -> [Float]) {
        let policy = WinogradPolicy.current
        for node in graph.mapping.nodes + graph.synthesis.nodes {
            let output = shapes["synthesis/\(node.name)"]
            switch node.op {
            case .dense(let d):
                let dims = graph.tensors[d.weight]!.shape.dims
                dense[Self.key(d)] = PackedDenseWeights(weight: param(d.weight), outFeatures: dims[0], inFeatures: dims[1], weightGain: d.weightGain)
            case .modulatedConv(let m):
                let layout: PackedConvWeights.Layout = m.up == 2 ? .transposed : .conv
                let tile = Self.winogradTile(graph, m.weight, up: m.up, output: output, policy)
                conv[Self.key(m.weight, gain: 1, layout)] = pack(graph, m.weight, param, gain: 1, layout, winograd: tile)
            case .conv(let c):
                let k = graph.tensors[c.weight]!.shape.dims[2]
                let layout: PackedConvWeights.Layout = c.up == 2 && k > 1 ? .transposed : .conv
                let tile = Self.winogradTile(graph, c.weight, up: c.up, output: output, policy)
                conv[Self.key(c.weight, gain: c.weightGain, layout)] = pack(graph, c.weight, param, gain: c.weightGain, layout, winograd: tile)
            default:
                break
            }
        }
    }

    /// The Winograd policy: F(4,3) for 3×3 stride-1 convolutions with output maps of at least
    /// 128², F(2,3) for 32² up to that, direct below; a weight with a Winograd form drops its
    /// direct form (its maps are large enough for Winograd to be faster, so it would go unused).
    ///
    /// Memory is what decides. Per (output, input) channel pair the direct form holds 9 floats,
    /// F(2,3) 16 and F(4,3) 36; per output pixel they do 9, 4 and 2.25 multiply-adds. So F(2,3)
    /// costs 7 extra floats for 5·H·W multiply-adds saved per image, and F(4,3) 20 floats more
    /// than F(2,3) for another 1.75·H·W: the work saved per extra byte depends on the map size
    /// alone, not on the channel counts. F(2,3) is taken where it saves ≥ 700 multiply-adds per
    /// extra float (from 980 pixels: 32² and up in StyleGAN's maps) and F(4,3) where the step
    /// from F(2,3) saves ≥ 1024 per extra float (from 11703 pixels: 128² and up). Measured
    /// (Benchmarks/Kernels.md, 1 thread): F(4,3) is 2.0–3.2× faster than direct and F(2,3)
    /// 1.3–1.9×; config-f's 512-channel 64² layer runs in 91 ms with F(2,3) and 54 ms with F(4,3)
    /// (direct 166 ms), but F(4,3) would cost it 28 MB more than F(2,3). F(2,3) on the
    /// 512-channel 32² layer costs 7.3 MB and made paper256 7–12 % faster (config-f 2 %), where
    /// that layer is a fifth of the time. Net extra weight bytes: config-f 1024² +24 MB,
    /// paper256 +11 MB (the runtime's peak memory goal is model bytes + 2.5 × the largest
    /// activation, see Benchmarks/README.md).
    static func winogradTile(_ graph: LayerGraph, _ weight: String, up: Int, output: [Int]?,
                             _ policy: WinogradPolicy) -> WinogradTile? {
        let dims = graph.tensors[weight]!.shape.dims
        guard up == 1, dims.count == 4, dims[2] == 3, dims[3] == 3 else { return nil }
        switch policy {
        case .off: return nil
        case .all: return .f4x3
        case .automatic:
            guard let output, output.count == 3 else { return nil }
            let area = output[1] * output[2]
            return area >= 128 * 128 ? .f4x3 : area >= 32 * 32 ? .f2x3 : nil
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
                                 winograd: winograd, directForm: winograd == nil)
    }

    static func key(_ d: Dense) -> String { "\(d.weight)|\(d.weightGain.bitPattern)" }
    static func key(_ weight: String, gain: Float, _ layout: PackedConvWeights.Layout) -> String {
        "\(weight)|\(gain.bitPattern)|\(layout == .transposed ? "T" : "C")"
    }
}
