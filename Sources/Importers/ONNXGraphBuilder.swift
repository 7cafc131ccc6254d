import LayerGraph
import ONNXReader
import Tensors

/// A value of the ONNX graph during import: its element type, its shape (with a symbolic batch
/// size), and either the constant it is or the emitted node that computes it.
struct ImportValue {
    var type: ElementType
    var shape: SymShape?
    var constant: ImportConstant?
    /// The emitted canonical node that computes it at run time.
    var node: String?
}

/// A constant known at import: an initializer or Constant-node tensor (materialised only when
/// needed), or folded data (integers possibly depending on the batch size).
enum ImportConstant {
    case tensor(Tensor, source: String)
    case data(PrimitiveConstant)
}

/// What the import did, for provenance and `inspect`.
public struct ONNXImportStatistics: Sendable, Hashable {
    /// Nodes in the source graph.
    public var sourceNodes = 0
    /// Source nodes evaluated at import because their inputs were constants (Constant nodes included).
    public var folded = 0
    /// Source nodes computed from the (symbolic) shapes of run-time values.
    public var shapeFolded = 0
    /// Source nodes that were no-ops (Identity, same-type Cast, reshapes to the same shape, ...).
    public var identities = 0
    /// Emitted nodes no output depends on.
    public var dead = 0
    /// Canonical (StyleGAN-level) nodes of the result, by op name, and how many emitted
    /// primitive nodes they replaced.
    public var recognised: [String: Int] = [:]
    public var replacedByRecognition = 0
    /// Primitive nodes of the result, by ONNX op type.
    public var primitives: [String: Int] = [:]

    public var recognisedCount: Int { recognised.values.reduce(0, +) }
    public var primitiveCount: Int { primitives.values.reduce(0, +) }
}

/// Turns ONNX nodes into canonical nodes: folds constants, tracks shapes with a symbolic batch
/// size, drops no-ops, emits `.primitive` nodes for the rest.
struct ONNXGraphBuilder {
    let evaluator: any PrimitiveEvaluator
    let opset: Int
    let file: String
    var values: [String: ImportValue] = [:]
    var nodes: [Node] = []
    var shapes: [String: SymShape?] = [:]
    var types: [String: ElementType] = [:]
    var tensors: [String: Tensor] = [:]
    var tensorOrder: [String] = []
    /// Tensor registered for a constant value (by the value's ONNX name).
    private var tensorFor: [String: String] = [:]
    private var nodeNames = Set<String>()
    var stats = ONNXImportStatistics()
    /// Set when the truncation of a mapping export was recognised.
    var wAverage: String?
    /// num_ws when the broadcast of w was recognised and cut off the mapping graph.
    var numWsHint: Int?
    var wDimHint: Int?
    /// Small tensors made by recognition, by shape and bits (shared between layers).
    var sharedTensors: [String: String] = [:]
    /// Index of each node in `nodes` (kept current by `appendNode`, `replace` and `reindex`).
    var position: [String: Int] = [:]
    /// What recognition did to the source's numbers, one line each.
    var provenance: [String] = []
    /// Bytes (8 an element) that constant folding may still create. A folded result is
    /// allocated whole, so a few bytes of ConstantOfShape, Expand, Tile or Range could otherwise
    /// ask for gigabytes: folding may create 16 MiB plus 4 × as many elements as the model's own
    /// constants hold (initializers, and Constant nodes as they are read), which covers real
    /// exports (shape arithmetic, rescaled weights).
    var foldBudget = 16 << 20

    init(evaluator: any PrimitiveEvaluator, opset: Int, file: String) {
        self.evaluator = evaluator
        self.opset = opset
        self.file = file
    }

    // MARK: names

    /// A node name valid in `.sgan` (1–256 bytes, no control characters) and unused.
    mutating func uniqueNodeName(_ wanted: String) -> String {
        var base = String(wanted.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F })
        if base.isEmpty { base = "onnx" }
        while base.utf8.count > 240 { base.removeFirst() }
        var name = base, k = 1
        while nodeNames.contains(name) { k += 1; name = "\(base)#\(k)" }
        nodeNames.insert(name)
        return name
    }

    mutating func reserve(_ name: String) { nodeNames.insert(name) }

    /// Registers a float tensor under a valid, unique tensor name.
    mutating func addTensor(_ wanted: String, _ t: Tensor) -> String {
        var base = String(wanted.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F })
        if base.isEmpty { base = "onnx.tensor" }
        while base.utf8.count > 240 { base.removeFirst() }
        var name = base, k = 1
        while tensors[name] != nil { k += 1; name = "\(base)#\(k)" }
        tensors[name] = t
        tensorOrder.append(name)
        return name
    }

    // MARK: constants

    static func elementType(_ d: DType) -> ElementType {
        switch d {
        case .f32, .f16, .bf16, .f64: .float
        case .bool: .bool
        default: .int
        }
    }

    /// Exact integer elements of an integer or boolean tensor.
    static func exactInts(_ t: Tensor) -> [Int] {
        t.withView { v in
            (0..<v.shape.count).map { i in v.int(at: i) ?? saturatingInt(v.float(at: i)) }
        }
    }

    /// The constant's elements, exactly (integers as SymInts).
    func data(_ c: ImportConstant) -> PrimitiveConstant {
        switch c {
        case .data(let d): return d
        case .tensor(let t, _):
            let type = Self.elementType(t.dtype)
            if type == .float { return PrimitiveConstant(floats: t.floats(), dims: t.shape.dims) }
            return PrimitiveConstant(ints: Self.exactInts(t).map(SymInt.c), dims: t.shape.dims, type: type)
        }
    }

    func dims(_ c: ImportConstant) -> [Int] {
        switch c {
        case .data(let d): d.dims
        case .tensor(let t, _): t.shape.dims
        }
    }

    func count(_ c: ImportConstant) -> Int { dims(c).reduce(1, *) }

    /// The operand for constant value `name`: inline when small (or integer), a graph tensor otherwise.
    mutating func operand(forConstant c: ImportConstant, valueName: String, type: ElementType) throws(ImportError) -> Operand {
        let n = count(c)
        if type != .float {
            let d = data(c)
            if n <= 1 << 16 { return .constant(d) }
            // Large integer constants are stored as exact floats.
            guard d.ints.allSatisfy({ $0.batch == 0 && abs($0.constant) <= 1 << 24 }) else {
                throw .unsupported("ONNX value \(valueName): \(n) integers, some beyond 2^24, cannot be stored exactly")
            }
            let name = try tensorName(valueName) { () throws(ImportError) in
                try Self.tensor(d.ints.map { Float($0.constant) }, d.dims, valueName)
            }
            return .tensor(name, type)
        }
        if n <= 16 { return .constant(data(c)) }
        let name = try tensorName(valueName) { () throws(ImportError) in
            switch c {
            case .tensor(let t, _) where t.dtype == .f32: return t
            case .tensor(let t, _): return t.converted(to: .f32)
            case .data(let d): return try Self.tensor(d.floats, d.dims, valueName)
            }
        }
        return .tensor(name, .float)
    }

    private mutating func tensorName(_ valueName: String, _ make: () throws(ImportError) -> Tensor) throws(ImportError) -> String {
        if let t = tensorFor[valueName] { return t }
        let name = addTensor(valueName, try make())
        tensorFor[valueName] = name
        return name
    }

    static func tensor(_ floats: [Float], _ dims: [Int], _ what: String) throws(ImportError) -> Tensor {
        do { return try Tensor(.f32, shape: Shape(dims), floats: floats) } catch {
            throw .malformed(path: what, "constant of shape \(dims): \(error)")
        }
    }

    // MARK: emission

    /// Emits a primitive node computing ONNX output `output` of an op whose inputs are `inputs`
    /// (value names, "" when absent); returns the emitted node's name.
    mutating func emit(opType: String, inputs: [String], attributes: [String: PrimitiveAttribute], output: Int,
                       outputType: ElementType, name: String, label: String) throws(ImportError) -> String {
        var operands: [Operand] = []
        var nodeInputs: [String] = []
        var inputTypes: [ElementType] = []
        var inputShapes: [SymShape?] = []
        for v in inputs {
            if v.isEmpty { operands.append(.absent); continue }
            guard let value = values[v] else { throw .malformed(path: label, "reads \(v), which is not defined") }
            if let c = value.constant {
                operands.append(try operand(forConstant: c, valueName: v, type: value.type))
            } else if let node = value.node {
                if let k = nodeInputs.firstIndex(of: node) {
                    operands.append(.input(k))
                } else {
                    operands.append(.input(nodeInputs.count))
                    nodeInputs.append(node)
                    inputTypes.append(value.type)
                    inputShapes.append(value.shape)
                }
            } else {
                throw .malformed(path: label, "reads \(v), which has neither a value nor a producer")
            }
        }
        let p = Primitive(opType: opType, operands: operands, attributes: attributes, output: output,
                          inputTypes: inputTypes, outputType: outputType)
        let shape: SymShape?
        do {
            shape = try p.outputShape(inputs: inputShapes, tensorShape: { tensors[$0]?.shape.dims })
        } catch {
            throw .malformed(path: label, "mismatched shapes: \(error.message)")
        }
        let nodeName = uniqueNodeName(name)
        position[nodeName] = nodes.count
        nodes.append(Node(nodeName, .primitive(p), inputs: nodeInputs))
        shapes[nodeName] = shape
        types[nodeName] = outputType
        return nodeName
    }
}

/// Float → int as the interpreter converts (toward zero, saturating).
private func saturatingInt(_ v: Float) -> Int {
    if v.isNaN { return 0 }
    if v >= 9.2e18 { return Int.max }
    if v <= -9.2e18 { return Int.min }
    return Int(v)
}

extension ONNXGraphBuilder {
    mutating func reindex() {
        position = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1.name, $0) })
    }
}
