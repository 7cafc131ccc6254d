import LayerGraph
import ONNXReader
import Tensors

extension ONNXGraphBuilder {
    /// ONNX element type → primitive element type and, for float16/bfloat16, the rounding a Cast does.
    static func elementType(onnx code: Int, label: String) throws(ImportError) -> (ElementType, String?) {
        switch code {
        case 1, 11: return (.float, nil)
        case 10: return (.float, "f16")
        case 16: return (.float, "bf16")
        case 2, 3, 4, 5, 6, 7, 12, 13: return (.int, nil)
        case 9: return (.bool, nil)
        default: throw .unsupported("ONNX element type \(ONNXDataType(rawValue: Int32(truncatingIfNeeded: code)).name) (\(label))")
        }
    }

    /// Attributes as primitive attributes (tensors and graphs are handled by the ops that take them).
    static func attributes(_ node: ONNXNode, label: String) throws(ImportError) -> [String: PrimitiveAttribute] {
        var out: [String: PrimitiveAttribute] = [:]
        for (k, a) in node.attributes {
            switch a {
            case .int(let v): out[k] = .int(v)
            case .ints(let v): out[k] = .ints(v)
            case .float(let v): out[k] = .float(v)
            case .floats(let v): out[k] = .floats(v)
            case .string:
                guard let t = a.text else { throw .malformed(path: label, "attribute \(k) is not UTF-8") }
                out[k] = .string(t)
            case .strings:
                guard let t = a.texts else { throw .malformed(path: label, "attribute \(k) is not UTF-8") }
                out[k] = .strings(t)
            case .tensor, .tensors: continue
            case .graph, .graphs:
                throw .unsupported("ONNX op \(node.opType) with a subgraph attribute '\(k)' (\(label))")
            case .reference, .unsupported:
                throw .unsupported("attribute '\(k)' of kind \(a.type) (\(label))")
            }
        }
        return out
    }

    /// The value of a Constant node.
    func constantValue(_ node: ONNXNode, label: String) throws(ImportError) -> (ImportConstant, ElementType) {
        if let t = node[attribute: "value"]?.tensor {
            return (.tensor(t, source: node.outputs.first ?? label), Self.elementType(t.dtype))
        }
        if let f = node[attribute: "value_float"]?.float { return (.data(PrimitiveConstant(floats: [f], dims: [])), .float) }
        if let f = node[attribute: "value_floats"]?.floats { return (.data(PrimitiveConstant(floats: f, dims: [f.count])), .float) }
        if let i = node[attribute: "value_int"]?.int { return (.data(PrimitiveConstant(ints: [.c(i)], dims: [])), .int) }
        if let i = node[attribute: "value_ints"]?.ints { return (.data(PrimitiveConstant(ints: i.map(SymInt.c), dims: [i.count])), .int) }
        throw .unsupported("Constant without a numeric value (\(label))")
    }

    /// Element type of output `k` of `op`.
    func outputType(_ op: String, _ node: ONNXNode, _ ins: [ImportValue?], attributes: inout [String: PrimitiveAttribute],
                    label: String) throws(ImportError) -> ElementType {
        switch op {
        case "Cast":
            guard let to = node[attribute: "to"]?.int else { throw .malformed(path: label, "Cast without 'to'") }
            let (t, rounding) = try Self.elementType(onnx: to, label: label)
            if let rounding { attributes["round_to"] = .string(rounding) }
            return t
        case "Shape", "Size": return .int
        case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor": return .bool
        case "ConstantOfShape":
            guard let t = node[attribute: "value"]?.tensor else { attributes["value"] = .float(0); return .float }
            let type = Self.elementType(t.dtype)
            guard t.shape.count == 1 else { throw .malformed(path: label, "ConstantOfShape value has \(t.shape.count) elements") }
            if type == .float { attributes["value"] = .float(t.floats()[0]) } else { attributes["value"] = .int(Self.exactInts(t)[0]) }
            return type
        case "RandomNormalLike":
            if let d = node[attribute: "dtype"]?.int { return try Self.elementType(onnx: d, label: label).0 }
            return .float
        case "Where": return ins.count > 1 ? ins[1]?.type ?? .float : .float
        default:
            return ins.first??.type ?? .float
        }
    }

    /// Processes one ONNX node (in topological order).
    mutating func process(_ node: ONNXNode, index: Int) throws(ImportError) {
        let label = node.label(index: index)
        stats.sourceNodes += 1
        let op = node.opType
        guard node.domain.isEmpty || node.domain == "ai.onnx" else {
            throw .unsupported("ONNX op \(node.domain).\(op) (\(label), opset \(opset))")
        }
        guard op == "Constant" || PrimitiveOps.all.contains(op) else {
            throw .unsupported("ONNX op \(op) (\(label), opset \(opset))")
        }
        try checkAttributes(op, node, label: label)
        var ins: [ImportValue?] = []
        for name in node.inputs {
            if name.isEmpty { ins.append(nil); continue }
            guard let v = values[name] else { throw .malformed(path: label, "reads \(name), which no earlier node, initializer or graph input produces") }
            ins.append(v)
        }
        guard let out0 = node.outputs.first, !out0.isEmpty else { throw .malformed(path: label, "has no output") }
        if op == "Constant" {
            let (c, type) = try constantValue(node, label: label)
            foldBudget += 4 * 8 * count(c)
            values[out0] = ImportValue(type: type, shape: dims(c).map(SymInt.c), constant: c)
            stats.folded += 1
            return
        }
        var attrs = try Self.attributes(node, label: label)
        let outType = try outputType(op, node, ins, attributes: &attrs, label: label)
        if op == "Split", attrs["split"] == nil, attrs["num_outputs"] == nil, ins.count < 2 || ins[1] == nil {
            // Before opset 18, a Split without sizes splits into as many equal parts as it has outputs.
            attrs["num_outputs"] = .int(node.outputs.count)
        }
        let present = ins.compactMap { $0 }
        // No-ops pass their input on.
        if op == "Identity" || op == "Dropout" || (op == "Cast" && attrs["round_to"] == nil && ins.first??.type == outType) {
            guard let v = ins.first ?? nil else { throw .malformed(path: label, "has no input") }
            values[out0] = v
            stats.identities += 1
            return
        }
        // Constant folding: every input known (and nothing random).
        if !present.isEmpty, op != "RandomNormalLike", present.allSatisfy({ $0.constant != nil }) {
            if try fold(op, node, ins, attrs, outType, label: label) { stats.folded += 1; return }
        }
        // Shapes of run-time values are known at import (up to the batch size).
        if op == "Shape", let v = ins.first ?? nil, let s = v.shape {
            let r = s.count
            func clampAxis(_ a: Int) -> Int { min(max(a < 0 ? a + r : a, 0), r) }
            let start = clampAxis(node[attribute: "start"]?.int ?? 0), end = clampAxis(node[attribute: "end"]?.int ?? r)
            let dims = end > start ? Array(s[start..<end]) : []
            values[out0] = ImportValue(type: .int, shape: [.c(dims.count)], constant: .data(PrimitiveConstant(ints: dims, dims: [dims.count])))
            stats.shapeFolded += 1
            return
        }
        if op == "Size", let v = ins.first ?? nil, let s = v.shape, let n = symCount(s) {
            values[out0] = ImportValue(type: .int, shape: [], constant: .data(PrimitiveConstant(ints: [n], dims: [])))
            stats.shapeFolded += 1
            return
        }
        if let alias = try noOp(op, node, ins, attrs) {
            values[out0] = alias
            stats.identities += 1
            return
        }
        let outputs = op == "Split" ? node.outputs.count : 1
        for k in 0..<outputs where !node.outputs[k].isEmpty {
            let name = try emit(opType: op, inputs: node.inputs, attributes: attrs, output: k, outputType: outType,
                                name: node.outputs[k], label: label)
            values[node.outputs[k]] = ImportValue(type: outType, shape: shapes[name] ?? nil, constant: nil, node: name)
        }
    }

    /// Attribute values the interpreter does not implement, refused at import with the node named.
    func checkAttributes(_ op: String, _ node: ONNXNode, label: String) throws(ImportError) {
        func refuse(_ what: String) -> ImportError { .unsupported("ONNX op \(op) with \(what) (\(label), opset \(opset))") }
        switch op {
        case "Resize", "Upsample":
            let mode = node[attribute: "mode"]?.text ?? "nearest"
            guard mode == "nearest" else { throw refuse("mode '\(mode)' (only nearest)") }
            let t = node[attribute: "coordinate_transformation_mode"]?.text ?? "half_pixel"
            guard ["half_pixel", "asymmetric", "pytorch_half_pixel", "align_corners", "tf_half_pixel_for_nn"].contains(t) else {
                throw refuse("coordinate_transformation_mode '\(t)'")
            }
            if let e = node[attribute: "exclude_outside"]?.int, e != 0 { throw refuse("exclude_outside") }
            if node[attribute: "axes"] != nil { throw refuse("axes") }
            if let k = node[attribute: "keep_aspect_ratio_policy"]?.text, k != "stretch" { throw refuse("keep_aspect_ratio_policy '\(k)'") }
        case "Pad":
            let mode = node[attribute: "mode"]?.text ?? "constant"
            guard ["constant", "reflect", "edge", "wrap"].contains(mode) else { throw refuse("mode '\(mode)'") }
        case "ScatterND":
            if let r = node[attribute: "reduction"]?.text, r != "none" { throw refuse("reduction '\(r)'") }
        case "Conv", "ConvTranspose":
            if let k = node[attribute: "kernel_shape"]?.ints, k.count > 2 { throw refuse("\(k.count)-D kernels (1-D and 2-D only)") }
        case "Split":
            if node.outputs.count > 1024 { throw refuse("\(node.outputs.count) outputs") }
        default: break
        }
    }

    /// Evaluates a node whose inputs are all constants; false when it cannot be done at import
    /// (batch-dependent values the symbolic rules do not cover), so the node runs at run time.
    mutating func fold(_ op: String, _ node: ONNXNode, _ ins: [ImportValue?], _ attrs: [String: PrimitiveAttribute],
                       _ outType: ElementType, label: String) throws(ImportError) -> Bool {
        let operands = ins.map { v -> PrimitiveConstant? in v.map { data($0.constant!) } }
        let outputs = op == "Split" ? node.outputs.count : 1
        let symbolic = operands.contains { $0.map { !$0.isStatic } ?? false }
        var results: [PrimitiveConstant] = []
        for k in 0..<outputs {
            let p = Primitive(opType: op, operands: operands.map { $0.map(Operand.constant) ?? .absent }, attributes: attrs,
                              output: k, inputTypes: [], outputType: outType)
            if let shape = try? p.outputShape(inputs: [], tensorShape: { _ in nil }), let n = symCount(shape)?.value {
                // 8 bytes an element: integers are 64-bit.
                let (bytes, o) = n.multipliedReportingOverflow(by: 8)
                guard !o, bytes <= foldBudget else {
                    throw .unsupported("\(label): folding \(op) would create \(n) elements (\(describe(shape))), more than the model's own data justifies")
                }
                foldBudget -= bytes
            }
            if symbolic {
                guard let r = ONNXSymbolic.evaluate(p, evaluator: evaluator) else { return false }
                results.append(r)
            } else {
                do { results.append(try evaluator.evaluate(p)) } catch {
                    throw .malformed(path: label, "cannot be evaluated: \(error)")
                }
            }
        }
        for (k, r) in results.enumerated() where !node.outputs[k].isEmpty {
            values[node.outputs[k]] = ImportValue(type: r.type, shape: r.dims.map(SymInt.c), constant: .data(r))
        }
        return true
    }

    /// An op that returns its first input unchanged for these operands (same shape, nothing moved
    /// or changed): a reshape to the same shape, an all-zero pad, a full slice, ×1, +0, ...
    func noOp(_ op: String, _ node: ONNXNode, _ ins: [ImportValue?], _ attrs: [String: PrimitiveAttribute]) throws(ImportError) -> ImportValue? {
        guard let first = ins.first ?? nil, first.constant == nil, let shape = first.shape else { return nil }
        func constInts(_ k: Int) -> [SymInt]? {
            guard k < ins.count, let v = ins[k], let c = v.constant else { return nil }
            let d = data(c)
            return d.type == .float ? nil : d.ints
        }
        func constFloats(_ k: Int) -> [Float]? {
            guard k < ins.count, let v = ins[k], let c = v.constant, count(c) <= 1 << 16 else { return nil }
            let d = data(c)
            return d.type == .float ? d.floats : nil
        }
        func operandShape(_ k: Int) -> SymShape? { k < ins.count ? ins[k]?.shape : nil }
        switch op {
        case "Reshape":
            guard let target = constInts(1) else { return nil }
            let p = Primitive(opType: "Reshape", operands: [.input(0), .constant(PrimitiveConstant(ints: target, dims: [target.count]))],
                              attributes: attrs, inputTypes: [first.type], outputType: first.type)
            guard let out = (try? p.outputShape(inputs: [shape], tensorShape: { _ in nil })) ?? nil, out == shape else { return nil }
            return first
        case "Expand":
            guard let target = constInts(1), let out = try? symBroadcast(shape, target), out == shape else { return nil }
            return first
        case "Tile":
            guard let reps = constInts(1), reps.allSatisfy({ $0 == .c(1) }) else { return nil }
            return first
        case "Pad":
            guard let pads = constInts(1), pads.allSatisfy({ $0 == .c(0) }) else { return nil }
            return first
        case "Slice":
            guard let starts = constInts(1), let ends = constInts(2) else { return nil }
            let axes = ins.count > 3 && ins[3] != nil ? constInts(3) : (0..<starts.count).map(SymInt.c)
            let steps = ins.count > 4 && ins[4] != nil ? constInts(4) : Array(repeating: SymInt.c(1), count: starts.count)
            guard let axes, let steps, axes.count == starts.count, steps.count == starts.count else { return nil }
            for j in starts.indices {
                guard steps[j] == .c(1), let a = axes[j].value else { return nil }
                let ax = a < 0 ? a + shape.count : a
                guard ax >= 0, ax < shape.count else { return nil }
                let d = shape[ax]
                let full = starts[j] == .c(0) && (ends[j] == d || (ends[j].value ?? 0) >= Int(Int32.max) || (d.value != nil && ends[j].value != nil && ends[j].value! >= d.value!))
                guard full else { return nil }
            }
            return first
        case "Transpose":
            guard case .ints(let perm) = attrs["perm"], perm == Array(0..<shape.count) else { return nil }
            return first
        case "Mul", "Div":
            guard first.type == .float, let k = constFloats(1), k.allSatisfy({ $0 == 1 }),
                  let s = operandShape(1), (try? symBroadcast(shape, s)) == shape else { return nil }
            return first
        case "Add", "Sub":
            guard first.type == .float, let k = constFloats(1), k.allSatisfy({ $0 == 0 && $0.sign == .plus }),
                  let s = operandShape(1), (try? symBroadcast(shape, s)) == shape else { return nil }
            return first
        case "Concat":
            return ins.count == 1 ? first : nil
        default:
            return nil
        }
    }
}
