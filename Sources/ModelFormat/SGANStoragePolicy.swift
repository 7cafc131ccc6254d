public import LayerGraph
public import Tensors

/// Decides the storage dtype of each tensor (Schemas/SGAN.md §10): weights take the requested
/// dtype, noise buffers and the constant input follow it (f16 when weights are int8), everything
/// else — biases, the W average, noise strengths, filters — stays f32, and names under a
/// `keepF32` prefix stay f32.
public struct SGANStoragePolicy: Sendable, Hashable {
    /// Weight storage: f32, f16, bf16 or i8.
    public var weights: DType
    /// Tensor name prefixes kept in f32 (`mapping.`, `synthesis.b64.torgb`).
    public var keepF32: [String]

    public init(weights: DType, keepF32: [String] = []) throws(SGANError) {
        guard SGANFormat.storageDTypes.contains(weights) else { throw SGANError(path: "", .unsupportedStorage(weights)) }
        self.weights = weights
        self.keepF32 = keepF32
    }

    /// The role of every tensor of `graph`, from the ops that read it. A tensor read in two
    /// roles gets the one stored wider (`other`, hence f32, wins over everything).
    public static func roles(of graph: LayerGraph) -> [String: SGANTensorRole] {
        var roles: [String: SGANTensorRole] = [:]
        func mark(_ name: String?, _ role: SGANTensorRole) {
            guard let name else { return }
            if let old = roles[name], old != role {
                roles[name] = rank(old) >= rank(role) ? old : role
            } else {
                roles[name] = role
            }
        }
        if let w = graph.wAverage { mark(w, .wAverage) }
        for node in graph.mapping.nodes + graph.synthesis.nodes {
            switch node.op {
            case .dense(let d): mark(d.weight, .weight); mark(d.bias, .bias)
            case .modulatedConv(let m): mark(m.weight, .weight); mark(m.resampleFilter, .filter)
            case .conv(let c): mark(c.weight, .weight); mark(c.resampleFilter, .filter)
            case .constInput(let p): mark(p, .constInput)
            case .noise(let z): mark(z.strength, .noiseStrength); mark(z.constNoise, .noiseConst)
            case .biasAct(let b): mark(b.bias, .bias)
            case .upfirdn2d(let u): mark(u.filter, .filter)
            case .opaque(_, let params, _): for p in params { mark(p, .other) }
            case .primitive(let p):
                // Float weights of ONNX convolutions and matrix products take the weight dtype.
                let weighted = ["Conv", "ConvTranspose", "MatMul", "Gemm"].contains(p.opType)
                for (k, o) in p.operands.enumerated() {
                    if case let .tensor(t, type) = o { mark(t, weighted && k == 1 && type == .float ? .weight : .other) }
                }
            case .input, .normalize2ndMoment, .concat, .broadcast, .selectW, .upsampleNearest, .instanceNorm, .adaIN, .add: break
            }
        }
        for name in graph.tensors.names where roles[name] == nil { roles[name] = .other }
        return roles
    }

    /// How wide a role is stored (higher wins when a tensor has two roles).
    private static func rank(_ role: SGANTensorRole) -> Int {
        switch role {
        case .weight: 0
        case .noiseConst, .constInput: 1
        case .bias, .wAverage, .noiseStrength, .filter, .other: 2
        }
    }

    /// Storage dtype of tensor `name` with `role`.
    public func storage(for name: String, role: SGANTensorRole) -> DType {
        if keepF32.contains(where: { name.hasPrefix($0) }) { return .f32 }
        switch role {
        case .weight: return weights
        case .noiseConst, .constInput: return weights == .i8 ? .f16 : weights
        case .bias, .wAverage, .noiseStrength, .filter, .other: return .f32
        }
    }
}
