public import LayerGraph
public import Tensors

/// Runs a `PrimitiveProgram` (a whole ONNX graph imported by `ONNXProgramImporter`) with the
/// primitive interpreter. Values keep their element type between nodes (integers exact as
/// 64-bit integers, booleans as 0/1); outputs are written in their declared element type.
public enum PrimitiveProgramRunner {
    public static func run(_ program: PrimitiveProgram, inputs: [String: Tensor]) throws -> [(name: String, tensor: Tensor)] {
        var values: [String: PValue] = [:]
        for i in program.inputs {
            guard let t = inputs[i.name] else { throw RuntimeError.badInput("input \(i.name) is missing") }
            guard t.shape.dims == i.dims else {
                throw RuntimeError.badInput("input \(i.name) has shape \(t.shape), the program was imported for \(i.dims)")
            }
            values[i.node] = try pvalue(t, type: i.type, what: "input \(i.name)")
        }
        let interpreter = PrimitiveInterpreter()
        for node in program.nodes {
            guard case .primitive(let p) = node.op else {
                if case .input = node.op { continue }
                throw RuntimeError.unsupportedOp(node: node.name, kind: "\(node.op)")
            }
            guard p.opType != "RandomNormalLike" else {
                throw RuntimeError.unsupported("node \(node.name) draws random numbers (RandomNormalLike), which the generic runner does not do")
            }
            var operands: [PValue?] = []
            operands.reserveCapacity(p.operands.count)
            for operand in p.operands {
                switch operand {
                case .input(let k):
                    guard k < node.inputs.count, var v = values[node.inputs[k]] else {
                        throw RuntimeError.primitive(node: node.name, "input \(k) has no value")
                    }
                    if k < p.inputTypes.count, v.type != p.inputTypes[k] { v = interpreter.cast(v, to: p.inputTypes[k], rounding: nil) }
                    operands.append(v)
                case .tensor(let name, let type):
                    guard let t = program.tensors[name] else { throw RuntimeError.primitive(node: node.name, "tensor \(name) is missing") }
                    let f = t.floats()
                    operands.append(type == .float ? PValue(floats: f, dims: t.shape.dims)
                                                   : PValue(ints: f.map(PValue.saturatingInt), dims: t.shape.dims, type: type))
                case .constant(let c):
                    operands.append(PValue(c, batch: 1))
                case .absent:
                    operands.append(nil)
                }
            }
            do {
                values[node.name] = try interpreter.run(p, operands)
            } catch {
                throw RuntimeError.primitive(node: node.name, error.message)
            }
        }
        var out: [(name: String, tensor: Tensor)] = []
        for o in program.outputs {
            var v: PValue
            switch o.source {
            case .node(let n):
                guard let x = values[n] else { throw RuntimeError.primitive(node: n, "no value for graph output \(o.name)") }
                v = x
            case .constant(let c):
                v = PValue(c, batch: 1)
            }
            if v.type != o.type { v = interpreter.cast(v, to: o.type, rounding: nil) }
            out.append((o.name, try tensor(v, dtype: o.dtype)))
        }
        return out
    }

    /// A tensor's elements as a typed value (integers and booleans exact).
    static func pvalue(_ t: Tensor, type: ElementType, what: String) throws -> PValue {
        let dims = t.shape.dims
        if type == .float {
            guard t.dtype.isFloatingPoint else { throw RuntimeError.badInput("\(what): element type \(t.dtype), expected a float type") }
            return PValue(floats: t.floats(), dims: dims)
        }
        guard !t.dtype.isFloatingPoint else { throw RuntimeError.badInput("\(what): element type \(t.dtype), expected \(type.rawValue)") }
        let ints: [Int] = t.withView { v in
            (0..<v.shape.count).map { i in v.int(at: i) ?? PValue.saturatingInt(v.float(at: i)) }
        }
        return PValue(ints: type == .bool ? ints.map { $0 == 0 ? 0 : 1 } : ints, dims: dims, type: type)
    }

    /// A typed value as a tensor of `dtype`.
    static func tensor(_ v: PValue, dtype: DType) throws -> Tensor {
        let shape = try Shape(v.dims)
        if dtype.isFloatingPoint { return try Tensor(dtype, shape: shape, floats: v.floats) }
        var t = try Tensor(zeros: dtype, shape: shape)
        let ints = v.ints
        t.withUnsafeMutableBytes { raw in
            for (i, x) in ints.enumerated() {
                switch dtype {
                case .i64: raw.storeBytes(of: Int64(x).littleEndian, toByteOffset: i * 8, as: Int64.self)
                case .i32: raw.storeBytes(of: Int32(truncatingIfNeeded: x).littleEndian, toByteOffset: i * 4, as: Int32.self)
                case .i16: raw.storeBytes(of: Int16(truncatingIfNeeded: x).littleEndian, toByteOffset: i * 2, as: Int16.self)
                case .i8, .u8: raw[i] = UInt8(truncatingIfNeeded: x)
                case .bool: raw[i] = x == 0 ? 0 : 1
                default: break
                }
            }
        }
        return t
    }
}
