import Foundation
import Kernels
import LayerGraph

/// Which 3×3 convolutions get a Winograd form when a generator is loaded.
public enum WinogradPolicy: String, Sendable {
    /// Where it pays for its memory (see `PackedWeights.winogradTile`).
    case automatic = "auto"
    /// Never: every convolution runs direct.
    case off
    /// Every form on every 3×3 convolution, whatever its map size: F(4,3) on the stride-1 ones,
    /// F(3,2) on the phases of the transposed (up-sampling) ones; for parity tests and
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
    /// The faster forms batches of 2 or more take (see `batchTile`): the Winograd form per
    /// `conv` key, with what packing it needs. Packed only when such a batch is planned.
    private(set) var batchUpgrades: [String: BatchUpgrade] = [:]

    struct BatchUpgrade {
        var weight: String, gain: Float, layout: PackedConvWeights.Layout, tile: WinogradTile
    }

    /// `shapes`: the per-sample value shapes `graph.validate()` returned (they size the layers
    /// for the Winograd policy).
    init(graph: LayerGraph, shapes: [String: [Int]], param: (String) -> [Float]) {
        let policy = WinogradPolicy.current
        let costs = ModelCosts(graph, shapes)
        func add(_ weight: String, gain: Float, _ layout: PackedConvWeights.Layout, up: Int, output: [Int]?) {
            let key = Self.key(weight, gain: gain, layout)
            let tile = Self.winogradTile(graph, weight, up: up, output: output, costs, policy)
            conv[key] = pack(graph, weight, param, gain: gain, layout, winograd: tile)
            if policy == .automatic, let better = Self.batchTile(graph, weight, up: up, output: output, costs), better != tile {
                batchUpgrades[key] = BatchUpgrade(weight: weight, gain: gain, layout: layout, tile: better)
            }
        }
        for node in graph.mapping.nodes + graph.synthesis.nodes {
            let output = shapes["synthesis/\(node.name)"]
            switch node.op {
            case .dense(let d):
                let dims = graph.tensors[d.weight]!.shape.dims
                dense[Self.key(d)] = PackedDenseWeights(weight: param(d.weight), outFeatures: dims[0], inFeatures: dims[1], weightGain: d.weightGain)
            case .modulatedConv(let m):
                let layout: PackedConvWeights.Layout = m.up == 2 ? .transposed : .conv
                add(m.weight, gain: 1, layout, up: m.up, output: output)
            case .conv(let c):
                let k = graph.tensors[c.weight]!.shape.dims[2]
                add(c.weight, gain: c.weightGain, c.up == 2 && k > 1 ? .transposed : .conv, up: c.up, output: output)
            default:
                break
            }
        }
    }

    /// What the Winograd policy weighs a layer against: the model's multiply-adds per image and
    /// the bytes of all its tensors as float32.
    struct ModelCosts {
        var multiplyAdds: Double = 0
        var bytes: Double = 0

        init(_ graph: LayerGraph, _ shapes: [String: [Int]]) {
            for (prefix, sub) in [("mapping", graph.mapping), ("synthesis", graph.synthesis)] {
                for node in sub.nodes {
                    guard let y = shapes["\(prefix)/\(node.name)"] else { continue }
                    let x = node.inputs.first.flatMap { shapes["\(prefix)/\($0)"] }
                    multiplyAdds += FlopCount.flops(node.op, input: x, output: y, graph) / 2
                }
            }
            bytes = graph.tensors.entries.reduce(0) { $0 + 4 * Double($1.tensor.shape.count) }
        }

        /// Whether a layer doing `multiplyAdds` per image earns `floats` more of memory: its
        /// share of the model's multiply-adds is at least half the share of the model's bytes
        /// they add.
        func earns(_ floats: Double, multiplyAdds layer: Double) -> Bool {
            multiplyAdds > 0 && bytes > 0 && layer / multiplyAdds >= 0.5 * 4 * floats / bytes
        }
    }

    /// The Winograd policy for a 3×3 stride-1 convolution: the largest form that earns its
    /// memory, or none; a weight with a Winograd form drops its direct form (it would go unused).
    ///
    /// Per (output, input) channel pair the direct form holds 9 floats, F(2,3) 16 and F(4,3) 36;
    /// per output pixel they do 9, 4 and 2.25 multiply-adds. A form is taken when the layer's
    /// share of the model's multiply-adds is at least half the share of the model's bytes its
    /// extra floats add, and the map is large enough for its tiles: F(4,3) from 16², F(2,3)
    /// from 8² (on 8² maps F(4,3) wastes most of its 6×6 input tiles). So the forms go where the
    /// model spends its time, and a 512-channel layer on a small map (37.7 MB as F(4,3), 9.4 MB
    /// direct) gets one only if the model does little else. Measured (Benchmarks/README.md):
    /// config-f 1024² takes F(2,3) on 32² and F(4,3) from 64² (≈ 45 MB more than its file's
    /// weights; all three 512-channel layers as F(4,3) would add ≈ 100 MB and break the peak
    /// memory goal of model bytes + 2.5 × the largest activation), paper256 F(2,3) on 16² and
    /// F(4,3) from 32².
    static func winogradTile(_ graph: LayerGraph, _ weight: String, up: Int, output: [Int]?, _ costs: ModelCosts,
                             _ policy: WinogradPolicy) -> WinogradTile? {
        let dims = graph.tensors[weight]!.shape.dims
        guard dims.count == 4, dims[2] == 3, dims[3] == 3 else { return nil }
        // F(3,2) only for batches (see `batchTile`).
        if up == 2 { return policy == .all ? .f3x2 : nil }
        guard up == 1 else { return nil }
        switch policy {
        case .off: return nil
        case .all: return .f4x3
        case .automatic:
            guard let output, output.count == 3 else { return nil }
            let pairs = Double(dims[0] * dims[1]), area = output[1] * output[2]
            func earns(_ floats: Double) -> Bool { costs.earns((floats - 9) * pairs, multiplyAdds: pairs * 9 * Double(area)) }
            if area >= 16 * 16, earns(36) { return .f4x3 }
            if area >= 8 * 8, earns(16) { return .f2x3 }
            return nil
        }
    }

    /// The form a 3×3 transposed convolution takes in batches of 2 or more (automatic policy):
    /// F(3,2) from 32² inputs (25 floats per channel pair, 5–15 % faster per layer) where it
    /// earns a second copy of its weights by the load-time rule. (No stride-1 layer gains: a
    /// second copy of F(4,3) never earns what its extra floats at load did not.) Batch 1 stays
    /// lean: one image runs in the least memory (the goal is model bytes + 2.5 × the largest
    /// activation; F(3,2) on config-f's 128²–512² layers would add ≈ 26 MB of weights and
    /// scratch for ≈ 2 %, and on paper256's measured no faster), and the last block's up-sampling
    /// convolution keeps the direct form it needs to run by rows in the banded step (F(3,2) there
    /// would store its 134 MB output again). A batch of n holds n activations, so its goal grows
    /// by 2.5 of them per image while the forms cost the same once: batches are where memory
    /// buys speed. So a batch's images differ from batch 1's by Winograd's rounding
    /// (WinogradTests bounds it).
    static func batchTile(_ graph: LayerGraph, _ weight: String, up: Int, output: [Int]?, _ costs: ModelCosts) -> WinogradTile? {
        let dims = graph.tensors[weight]!.shape.dims
        guard up == 2, dims.count == 4, dims[2] == 3, dims[3] == 3, let output, output.count == 3 else { return nil }
        let pairs = Double(dims[0] * dims[1]), inputArea = output[1] * output[2] / 4
        return inputArea >= 32 * 32 && costs.earns(25 * pairs, multiplyAdds: pairs * 9 * Double(inputArea)) ? .f3x2 : nil
    }

    /// `batchUpgrades` packed (the tensors' pages read again, then released).
    func packBatchUpgrades(_ graph: LayerGraph) -> [String: PackedConvWeights] {
        defer { graph.tensors.releaseResidentPages() }
        return batchUpgrades.mapValues { u in
            pack(graph, u.weight, { graph.tensors[$0]!.floats() }, gain: u.gain, u.layout, winograd: u.tile)
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
