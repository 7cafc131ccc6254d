/// A primitive (ONNX-level) operation that no pattern turned into a StyleGAN-level op: the
/// source's op type, its typed attributes, and where each positional input comes from.
///
/// Positional inputs are `operands`, in the source op's order: a runtime value (one of the
/// node's `inputs`), a graph tensor, an inline constant (small integer and float tensors:
/// shapes, axes, pads, scalars — integers exactly, including values that depend on the batch
/// size), or absent (an optional input left out). Semantics are ONNX's (opsets 11–21) for
/// `opType`; the attribute names and meanings are ONNX's too.
public struct Primitive: Sendable, Hashable, Codable {
    public var opType: String
    public var operands: [Operand]
    public var attributes: [String: PrimitiveAttribute]
    /// Which output of a multi-output op this node is (Split); 0 otherwise.
    public var output: Int
    /// Element type of each of the node's `inputs` (runtime values), in order.
    public var inputTypes: [ElementType]
    /// Element type of the result.
    public var outputType: ElementType

    public init(opType: String, operands: [Operand], attributes: [String: PrimitiveAttribute] = [:], output: Int = 0,
                inputTypes: [ElementType], outputType: ElementType) {
        self.opType = opType
        self.operands = operands
        self.attributes = attributes
        self.output = output
        self.inputTypes = inputTypes
        self.outputType = outputType
    }

    /// Graph tensors the op reads.
    public var tensorNames: [String] {
        operands.compactMap { if case .tensor(let name, _) = $0 { name } else { nil } }
    }

    public func int(_ name: String) -> Int? { if case .int(let v) = attributes[name] { v } else { nil } }
    public func ints(_ name: String) -> [Int]? { if case .ints(let v) = attributes[name] { v } else { nil } }
    public func float(_ name: String) -> Float? { if case .float(let v) = attributes[name] { v } else { nil } }
    public func floats(_ name: String) -> [Float]? { if case .floats(let v) = attributes[name] { v } else { nil } }
    public func string(_ name: String) -> String? { if case .string(let v) = attributes[name] { v } else { nil } }
}

/// Where a positional input of a primitive comes from.
public enum Operand: Sendable, Hashable, Codable {
    /// `node.inputs[index]`, a runtime value.
    case input(Int)
    /// A graph tensor (stored as floats), read as `type` (integer tensors hold exact integers).
    case tensor(String, ElementType)
    case constant(PrimitiveConstant)
    /// An optional input that is not given.
    case absent
}

/// Element types of primitive values. Every value at run time is an array of float32; integer
/// (ONNX int8…int64, uint8) and boolean values are carried as exactly representable floats
/// (integers up to 2²⁴ in magnitude, larger ones rounded, conversions saturating), and float16,
/// bfloat16 and float64 are computed in float32 (a Cast to float16 or bfloat16 rounds to that
/// precision).
public enum ElementType: String, Sendable, Hashable, Codable {
    case float = "f32"
    case int = "i64"
    case bool
}

/// An integer that may depend on the batch size N: `batch`·N + `constant`. Shapes computed from
/// a symbolic batch dimension (`x.shape[0]`, `-1` in a reshape) become such integers at import,
/// so they are exact for every batch size.
public struct SymInt: Sendable, Hashable, Codable, CustomStringConvertible {
    public var batch: Int
    public var constant: Int
    public init(batch: Int = 0, constant: Int) {
        self.batch = batch
        self.constant = constant
    }
    public static func c(_ v: Int) -> SymInt { SymInt(constant: v) }
    /// N itself.
    public static let n = SymInt(batch: 1, constant: 0)

    /// The value when it does not depend on N.
    public var value: Int? { batch == 0 ? constant : nil }
    public var isBatch: Bool { batch == 1 && constant == 0 }

    /// The value for batch size `n` (saturating).
    public func resolve(batch n: Int) -> Int {
        let (p, o1) = batch.multipliedReportingOverflow(by: n)
        if o1 { return (batch < 0) != (n < 0) ? Int.min : Int.max }
        let (s, o2) = p.addingReportingOverflow(constant)
        if o2 { return constant < 0 ? Int.min : Int.max }
        return s
    }

    public var description: String {
        if batch == 0 { return String(constant) }
        let b = batch == 1 ? "N" : batch == -1 ? "-N" : "\(batch)N"
        if constant == 0 { return b }
        return constant > 0 ? "\(b)+\(constant)" : "\(b)\(constant)"
    }

    public static func + (a: SymInt, b: SymInt) -> SymInt? {
        let (bb, o1) = a.batch.addingReportingOverflow(b.batch)
        let (cc, o2) = a.constant.addingReportingOverflow(b.constant)
        return o1 || o2 ? nil : SymInt(batch: bb, constant: cc)
    }
    public static func - (a: SymInt, b: SymInt) -> SymInt? {
        let (bb, o1) = a.batch.subtractingReportingOverflow(b.batch)
        let (cc, o2) = a.constant.subtractingReportingOverflow(b.constant)
        return o1 || o2 ? nil : SymInt(batch: bb, constant: cc)
    }
    /// The product when it stays affine in N (one side constant).
    public static func * (a: SymInt, b: SymInt) -> SymInt? {
        if let k = b.value { return a.scaled(k) }
        if let k = a.value { return b.scaled(k) }
        return nil
    }
    public func scaled(_ k: Int) -> SymInt? {
        let (bb, o1) = batch.multipliedReportingOverflow(by: k)
        let (cc, o2) = constant.multipliedReportingOverflow(by: k)
        return o1 || o2 ? nil : SymInt(batch: bb, constant: cc)
    }
    /// The exact quotient when it is affine in N: constant / constant (exact), or
    /// (aN + b) / k with k dividing both, or (aN) / (cN) with c dividing a.
    public static func exactDivide(_ a: SymInt, _ b: SymInt) -> SymInt? {
        if let k = b.value {
            guard k != 0, a.batch % k == 0, a.constant % k == 0 else { return nil }
            return SymInt(batch: a.batch / k, constant: a.constant / k)
        }
        if a.constant == 0, b.constant == 0, b.batch != 0, a.batch % b.batch == 0 { return .c(a.batch / b.batch) }
        return nil
    }
}

/// A small constant kept in the graph itself (JSON in `.sgan`): shapes, axes, pads, indices,
/// scalars. Integer and boolean elements are `SymInt`s (booleans 0 or 1).
public struct PrimitiveConstant: Sendable, Hashable, Codable {
    public var type: ElementType
    public var dims: [Int]
    /// The elements when `type` is float.
    public var floats: [Float]
    /// The elements when `type` is int or bool.
    public var ints: [SymInt]

    public init(floats: [Float], dims: [Int]) {
        type = .float
        self.dims = dims
        self.floats = floats
        ints = []
    }

    public init(ints: [SymInt], dims: [Int], type: ElementType = .int) {
        self.type = type
        self.dims = dims
        floats = []
        self.ints = ints
    }

    public var count: Int { type == .float ? floats.count : ints.count }
    /// True when no element depends on the batch size.
    public var isStatic: Bool { ints.allSatisfy { $0.batch == 0 } }
    /// The integer elements when none depends on the batch size.
    public var staticInts: [Int]? {
        guard type != .float else { return floats.allSatisfy { $0 == $0.rounded() && abs($0) < 9e15 } ? floats.map { Int($0) } : nil }
        return isStatic ? ints.map(\.constant) : nil
    }
}

/// An attribute of a primitive op (ONNX attribute kinds that primitives use).
public enum PrimitiveAttribute: Sendable, Hashable, Codable {
    case int(Int)
    case ints([Int])
    case float(Float)
    case floats([Float])
    case string(String)
    case strings([String])
}

/// Evaluates primitives whose operands are all constants: the runtime's interpreter, handed to
/// importers so that constant folding computes exactly what execution would.
public protocol PrimitiveEvaluator: Sendable {
    func evaluate(_ p: Primitive) throws -> PrimitiveConstant
}
