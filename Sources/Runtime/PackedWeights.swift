import Kernels
import LayerGraph

/// Weights packed once at load for the fast kernels, keyed by weight tensor (and gain or
/// layout), so the same tensor used twice is packed once.
struct PackedWeights: @unchecked Sendable {
    private(set) var dense: [String: PackedDenseWeights] = [:]
    private(set) var conv: [String: PackedConvWeights] = [:]

    init(graph: LayerGraph, param: (String) -> [Float]) {
        for node in graph.mapping.nodes + graph.synthesis.nodes {
            switch node.op {
            case .dense(let d):
                let dims = graph.tensors[d.weight]!.shape.dims
                dense[Self.key(d)] = PackedDenseWeights(weight: param(d.weight), outFeatures: dims[0], inFeatures: dims[1], weightGain: d.weightGain)
            case .modulatedConv(let m):
                let layout: PackedConvWeights.Layout = m.up == 2 ? .transposed : .conv
                conv[Self.key(m.weight, gain: 1, layout)] = pack(graph, m.weight, param, gain: 1, layout)
            case .conv(let c):
                let k = graph.tensors[c.weight]!.shape.dims[2]
                let layout: PackedConvWeights.Layout = c.up == 2 && k > 1 ? .transposed : .conv
                conv[Self.key(c.weight, gain: c.weightGain, layout)] = pack(graph, c.weight, param, gain: c.weightGain, layout)
            default:
                break
            }
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
                      _ layout: PackedConvWeights.Layout) -> PackedConvWeights {
        let d = graph.tensors[name]!.shape.dims
        return PackedConvWeights(weight: param(name), outChannels: d[0], inChannels: d[1], kernel: d[2], weightGain: gain, layout: layout)
    }

    static func key(_ d: Dense) -> String { "\(d.weight)|\(d.weightGain.bitPattern)" }
    static func key(_ weight: String, gain: Float, _ layout: PackedConvWeights.Layout) -> String {
        "\(weight)|\(gain.bitPattern)|\(layout == .transposed ? "T" : "C")"
    }
}
