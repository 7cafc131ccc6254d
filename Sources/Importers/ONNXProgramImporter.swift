public import LayerGraph
public import ONNXReader
public import Tensors

/// Imports any ONNX graph we can run (any inputs and outputs) as a `PrimitiveProgram`, with the
/// same node handling as the StyleGAN importer (`ONNXGraphBuilder`: attribute checks, constant
/// folding with the runtime's evaluator, shape folding, no-op removal) but no pattern recognition
/// and no StyleGAN roles. The program is imported for concrete input shapes (those of the values
/// it will run on), so every shape computation folds.
public enum ONNXProgramImporter {
    /// Opsets of the default domain the generic path accepts: ONNX's changes to our ops after
    /// opset 21 only add element types (bfloat16, float8, int4, ...) we refuse anyway.
    public static let opsets = 11...28

    /// What a given input value is: its element type and shape.
    public typealias InputSpec = (dtype: DType, dims: [Int])

    public static func importProgram(path: String, inputs given: [String: InputSpec],
                                     evaluator: any PrimitiveEvaluator) throws -> PrimitiveProgram {
        try importProgram(try ONNXModel.load(path: path), inputs: given, evaluator: evaluator)
    }

    public static func importProgram(_ model: ONNXModel, inputs given: [String: InputSpec],
                                     evaluator: any PrimitiveEvaluator) throws(ImportError) -> PrimitiveProgram {
        guard let opset = model.opsetVersion(domain: "") else { throw .unsupported("ONNX model without an opset of the default domain") }
        guard opsets.contains(opset) else {
            throw .unsupported("ONNX opset \(opset) (the generic runner supports opsets \(opsets.lowerBound) to \(opsets.upperBound))")
        }
        let g = model.graph
        var b = ONNXGraphBuilder(evaluator: evaluator, opset: opset, file: model.source)
        var inputs: [PrimitiveProgram.Input] = []
        let declared = g.runtimeInputs
        let names = Set(declared.map(\.name))
        for name in given.keys.sorted() where !names.contains(name) {
            throw .malformed(path: "input \(name)", "the graph has no input of that name (inputs: \(declared.map(\.name).joined(separator: ", ")))")
        }
        for info in declared {
            guard info.kind == .tensor, let code = info.elementType else { throw .unsupported("graph input \(info.name) is not a tensor") }
            let (type, _) = try ONNXGraphBuilder.elementType(onnx: Int(code.rawValue), label: "graph input \(info.name)")
            guard let dtype = code.dtype else { throw .unsupported("graph input \(info.name) of type \(code.name)") }
            guard let spec = given[info.name] else { throw .malformed(path: "input \(info.name)", "missing (the graph takes \(declared.map(\.description).joined(separator: ", ")))") }
            if let dims = info.dims {
                let fits = dims.count == spec.dims.count && zip(dims, spec.dims).allSatisfy { d, v in
                    if case .value(let w) = d { w == v } else { true }
                }
                guard fits else {
                    throw .malformed(path: "input \(info.name)", "shape \(spec.dims) does not match the graph's \(info.dims!.map(\.description))")
                }
            }
            guard Self.compatible(spec.dtype, dtype) else {
                throw .malformed(path: "input \(info.name)", "element type \(spec.dtype) does not match the graph's \(code.name)")
            }
            let node = b.uniqueNodeName(info.name)
            b.position[node] = b.nodes.count
            b.nodes.append(Node(node, .input))
            let shape = spec.dims.map(SymInt.c)
            b.shapes[node] = shape
            b.types[node] = type
            b.values[info.name] = ImportValue(type: type, shape: shape, constant: nil, node: node)
            inputs.append(PrimitiveProgram.Input(name: info.name, node: node, type: type, dtype: dtype, dims: spec.dims))
        }
        for (name, t) in g.orderedInitializers where b.values[name] == nil {
            b.values[name] = ImportValue(type: ONNXGraphBuilder.elementType(t.dtype), shape: t.shape.dims.map(SymInt.c),
                                         constant: .tensor(t, source: name))
        }
        for i in try ONNXImporter.topologicalOrder(g) { try b.process(g.nodes[i], index: i) }

        guard !g.outputs.isEmpty else { throw .malformed(path: "graph", "has no output") }
        var outputs: [PrimitiveProgram.Output] = []
        var live = Set<String>()
        for o in g.outputs {
            guard let v = b.values[o.name] else {
                if let (i, node) = g.nodes.enumerated().first(where: { $0.element.outputs.contains(o.name) }) {
                    throw .unsupported("graph output \(o.name): output \(node.outputs.firstIndex(of: o.name)!) of \(node.label(index: i)) is not computed (only its first output), opset \(opset)")
                }
                throw .malformed(path: "graph output \(o.name)", "no node produces it")
            }
            let source: PrimitiveProgram.Source
            if let node = v.node {
                source = .node(node)
                live.insert(node)
            } else if let c = v.constant {
                source = .constant(b.data(c))
            } else {
                throw .malformed(path: "graph output \(o.name)", "has neither a value nor a producer")
            }
            outputs.append(PrimitiveProgram.Output(name: o.name, source: source, type: v.type, dtype: outputDType(o, v.type)))
        }
        // Drop nodes no output depends on (inputs stay).
        for node in b.nodes.reversed() where live.contains(node.name) { live.formUnion(node.inputs) }
        let nodes = b.nodes.filter { node in
            if case .input = node.op { return true }
            return live.contains(node.name)
        }
        let used = Set(nodes.flatMap(\.op.tensorNames))
        return PrimitiveProgram(inputs: inputs, nodes: nodes, tensors: b.tensors.filter { used.contains($0.key) }, outputs: outputs,
                                opset: opset)
    }

    /// Whether a given element type may feed an input declared as `declared`.
    static func compatible(_ given: DType, _ declared: DType) -> Bool {
        if declared.isFloatingPoint { return given.isFloatingPoint }
        if declared == .bool { return given == .bool }
        return !given.isFloatingPoint && given != .bool
    }

    /// The element type an output is written as: the declared one when stored types cover it.
    static func outputDType(_ info: ONNXValueInfo, _ type: ElementType) -> DType {
        if let d = info.dtype {
            switch type {
            case .float where d.isFloatingPoint && d != .bf16: return d
            case .int where !d.isFloatingPoint && d != .bool: return d
            case .bool where d == .bool: return d
            default: break
            }
        }
        return switch type {
        case .float: .f32
        case .int: .i64
        case .bool: .bool
        }
    }
}
