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
    /// 16², F(2,3) on 8² maps, direct below; a weight with a Winograd form drops its direct form
    /// (its maps are large enough for Winograd to be faster, so it would go unused).
    ///
    /// Per (output, input) channel pair the direct form holds 9 floats, F(2,3) 16 and F(4,3) 36;
    /// per output pixel they do 9, 4 and 2.25 multiply-adds. Measured in the generators
    /// (Benchmarks/README.md): F(4,3) is the fastest from 16² up, also on the 512-channel 16²–64²
    /// layers, once their few tiles are transformed by all threads together (winograd.c); on 8²
    /// maps (4 tiles of 4²) F(4,3) wastes most of its 6×6 input tiles and F(2,3) is faster; at 4²
    /// the direct form is. The cost is memory: F(4,3) on a 512-channel layer holds 37.7 MB
    /// instead of 9.4 MB, so config-f 1024² holds ≈ 102 MB more than its file's weights and
    /// paper256 ≈ 73 MB (the runtime's peak memory goal, model bytes + 2.5 × the largest
    /// activation, is checked in Benchmarks/README.md).
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
            return area >= 16 * 16 ? .f4x3 : area >= 8 * 8 ? .f2x3 : nil
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
