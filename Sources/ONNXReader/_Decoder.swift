internal import CONNXProto
internal import CProtobufC
import Tensors

/// Turns libprotobuf-c's structures into the Swift model, checking what ONNX requires on the
/// way. Keeps the path to the value being converted, so errors name it.
final class _Decoder {
    let file: String
    let external: _ExternalFiles
    private var context: [String] = []

    init(file: String, externalDataDirectory: String?, access: ONNXModel.ExternalDataAccess) {
        self.file = file
        self.external = _ExternalFiles(directory: externalDataDirectory, access: access)
    }

    func error(_ kind: ONNXError.Kind, _ message: String) -> ONNXError {
        ONNXError(kind, file: file, context: context.isEmpty ? nil : context.joined(separator: " / "), message)
    }

    /// Runs `body` with `label` appended to the context of errors.
    func within<T>(_ label: String, _ body: () throws(ONNXError) -> T) throws(ONNXError) -> T {
        context.append(label)
        defer { context.removeLast() }
        return try body()
    }

    // MARK: Model

    func model(_ m: UnsafeMutablePointer<Onnx__ModelProto>) throws(ONNXError) -> ONNXModel {
        let p = m.pointee
        guard let g = p.graph else { throw error(.invalid, "the model has no graph (ModelProto.graph is missing)") }
        let graph = try self.graph(g)
        var functions: [ONNXFunction] = []
        for (i, f) in Self.items(p.n_functions, p.functions).enumerated() {
            functions.append(try function(f, index: i))
        }
        return ONNXModel(
            irVersion: (p.has_ir_version != 0) ? Int(p.ir_version) : 0,
            opsetImports: Self.items(p.n_opset_import, p.opset_import).map(opset),
            producerName: Self.string(p.producer_name), producerVersion: Self.string(p.producer_version),
            domain: Self.string(p.domain), modelVersion: (p.has_model_version != 0) ? Int(p.model_version) : 0,
            docString: Self.string(p.doc_string), metadata: Self.keyValues(p.n_metadata_props, p.metadata_props),
            graph: graph, functions: functions, source: file)
    }

    private func opset(_ o: UnsafeMutablePointer<Onnx__OperatorSetIdProto>) -> ONNXOpsetID {
        ONNXOpsetID(domain: Self.string(o.pointee.domain), version: (o.pointee.has_version != 0) ? Int(o.pointee.version) : 0)
    }

    // MARK: Graph

    func graph(_ g: UnsafeMutablePointer<Onnx__GraphProto>) throws(ONNXError) -> ONNXGraph {
        let p = g.pointee
        let name = Self.string(p.name)
        return try within("graph \(ONNXError.quote(name))") { () throws(ONNXError) -> ONNXGraph in
            if let first = Self.items(p.n_sparse_initializer, p.sparse_initializer).first {
                let n = first.pointee.values.map { Self.string($0.pointee.name) } ?? ""
                throw error(.unsupported, "sparse initializer \(ONNXError.quote(n)) is not supported (sparse_initializer)")
            }
            var initializers: [(String, Tensor)] = []
            var seen = Set<String>()
            for (i, t) in Self.items(p.n_initializer, p.initializer).enumerated() {
                let tname = Self.string(t.pointee.name)
                guard !tname.isEmpty else { throw error(.invalid, "initializer #\(i) has no name") }
                guard seen.insert(tname).inserted else {
                    throw error(.invalid, "initializer \(ONNXError.quote(tname)) appears more than once")
                }
                let tensor = try within("initializer \(ONNXError.quote(tname))") { () throws(ONNXError) -> Tensor in try self.tensor(t) }
                initializers.append((tname, tensor))
            }
            var nodes: [ONNXNode] = []
            nodes.reserveCapacity(p.n_node)
            for (i, n) in Self.items(p.n_node, p.node).enumerated() {
                nodes.append(try node(n, index: i))
            }
            return ONNXGraph(
                name: name, nodes: nodes,
                inputs: Self.items(p.n_input, p.input).map(Self.valueInfo),
                outputs: Self.items(p.n_output, p.output).map(Self.valueInfo),
                valueInfo: Self.items(p.n_value_info, p.value_info).map(Self.valueInfo),
                initializers: initializers, docString: Self.string(p.doc_string),
                metadata: Self.keyValues(p.n_metadata_props, p.metadata_props))
        }
    }

    // MARK: Node and attributes

    func node(_ n: UnsafeMutablePointer<Onnx__NodeProto>, index: Int) throws(ONNXError) -> ONNXNode {
        let p = n.pointee
        var node = ONNXNode(name: Self.string(p.name), opType: Self.string(p.op_type), domain: Self.string(p.domain),
                            overload: Self.string(p.overload), inputs: Self.strings(p.n_input, p.input),
                            outputs: Self.strings(p.n_output, p.output), docString: Self.string(p.doc_string))
        try within(node.label(index: index)) { () throws(ONNXError) in
            for a in Self.items(p.n_attribute, p.attribute) {
                let (name, value) = try attribute(a)
                guard node.attributes.updateValue(value, forKey: name) == nil else {
                    throw error(.invalid, "attribute \(ONNXError.quote(name)) appears more than once")
                }
                node.attributeNames.append(name)
            }
        }
        return node
    }

    func attribute(_ a: UnsafeMutablePointer<Onnx__AttributeProto>) throws(ONNXError) -> (String, ONNXAttribute) {
        let p = a.pointee
        let name = Self.string(p.name)
        guard !name.isEmpty else { throw error(.invalid, "an attribute has no name") }
        return try within("attribute \(ONNXError.quote(name))") { () throws(ONNXError) -> (String, ONNXAttribute) in
            let type = try attributeType(p)
            let ref = Self.string(p.ref_attr_name)
            if !ref.isEmpty { return (name, .reference(name: ref, type: type)) }
            switch type {
            case .float:
                return (name, .float(p.f))
            case .int:
                return (name, .int(Int(p.i)))
            case .string:
                return (name, .string(Self.bytes(p.s)))
            case .tensor:
                guard let t = p.t else { throw error(.invalid, "TENSOR attribute without a tensor (field t)") }
                return (name, .tensor(try tensor(t)))
            case .graph:
                guard let g = p.g else { throw error(.invalid, "GRAPH attribute without a graph (field g)") }
                return (name, .graph(try graph(g)))
            case .floats:
                return (name, .floats(Array(Self.buffer(p.n_floats, p.floats))))
            case .ints:
                return (name, .ints(Self.buffer(p.n_ints, p.ints).map { Int($0) }))
            case .strings:
                return (name, .strings(Self.buffer(p.n_strings, p.strings).map(Self.bytes)))
            case .tensors:
                var out: [Tensor] = []
                for (i, t) in Self.items(p.n_tensors, p.tensors).enumerated() {
                    out.append(try within("tensor #\(i)") { () throws(ONNXError) -> Tensor in try tensor(t) })
                }
                return (name, .tensors(out))
            case .graphs:
                var out: [ONNXGraph] = []
                for g in Self.items(p.n_graphs, p.graphs) { out.append(try graph(g)) }
                return (name, .graphs(out))
            case .sparseTensor, .sparseTensors, .typeProto, .typeProtos:
                return (name, .unsupported(type))
            }
        }
    }

    /// The declared type, or for files that leave it out, the one field that carries a value.
    private func attributeType(_ p: Onnx__AttributeProto) throws(ONNXError) -> ONNXAttributeType {
        if p.has_type != 0 && p.type.rawValue != 0 {
            guard let t = ONNXAttributeType(rawValue: Int32(bitPattern: p.type.rawValue)) else {
                throw error(.invalid, "attribute type \(p.type.rawValue) does not exist")
            }
            return t
        }
        var found: [ONNXAttributeType] = []
        if p.has_f != 0 { found.append(.float) }
        if p.has_i != 0 { found.append(.int) }
        if p.has_s != 0 { found.append(.string) }
        if p.t != nil { found.append(.tensor) }
        if p.g != nil { found.append(.graph) }
        if p.sparse_tensor != nil { found.append(.sparseTensor) }
        if p.tp != nil { found.append(.typeProto) }
        if p.n_floats > 0 { found.append(.floats) }
        if p.n_ints > 0 { found.append(.ints) }
        if p.n_strings > 0 { found.append(.strings) }
        if p.n_tensors > 0 { found.append(.tensors) }
        if p.n_graphs > 0 { found.append(.graphs) }
        if p.n_sparse_tensors > 0 { found.append(.sparseTensors) }
        if p.n_type_protos > 0 { found.append(.typeProtos) }
        guard found.count == 1 else {
            throw error(.invalid, found.isEmpty ? "attribute has no type and no value"
                : "attribute has no type and values of several kinds (\(found.map(\.description).joined(separator: ", ")))")
        }
        return found[0]
    }

    // MARK: Functions

    func function(_ f: UnsafeMutablePointer<Onnx__FunctionProto>, index: Int) throws(ONNXError) -> ONNXFunction {
        let p = f.pointee
        let name = Self.string(p.name), domain = Self.string(p.domain)
        return try within("function \(ONNXError.quote(domain.isEmpty ? name : domain + "." + name))") { () throws(ONNXError) -> ONNXFunction in
            var defaults: [String: ONNXAttribute] = [:]
            for a in Self.items(p.n_attribute_proto, p.attribute_proto) {
                let (n, v) = try attribute(a)
                guard defaults.updateValue(v, forKey: n) == nil else {
                    throw error(.invalid, "attribute \(ONNXError.quote(n)) has more than one default")
                }
            }
            var nodes: [ONNXNode] = []
            for (i, n) in Self.items(p.n_node, p.node).enumerated() { nodes.append(try node(n, index: i)) }
            return ONNXFunction(
                name: name, domain: domain, overload: Self.string(p.overload),
                inputs: Self.strings(p.n_input, p.input), outputs: Self.strings(p.n_output, p.output),
                attributeNames: Self.strings(p.n_attribute, p.attribute), attributeDefaults: defaults, nodes: nodes,
                opsetImports: Self.items(p.n_opset_import, p.opset_import).map(opset),
                valueInfo: Self.items(p.n_value_info, p.value_info).map(Self.valueInfo),
                docString: Self.string(p.doc_string))
        }
    }

    // MARK: Value types

    static func valueInfo(_ v: UnsafeMutablePointer<Onnx__ValueInfoProto>) -> ONNXValueInfo {
        let p = v.pointee
        let name = string(p.name), doc = string(p.doc_string)
        guard let type = p.type?.pointee else { return ONNXValueInfo(name: name, kind: .other, elementType: nil, dims: nil, docString: doc) }
        switch type.value_case {
        case ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE:
            guard let t = type.tensor_type?.pointee else { break }
            return ONNXValueInfo(name: name, kind: .tensor, elementType: (t.has_elem_type != 0) && t.elem_type != 0 ? ONNXDataType(rawValue: t.elem_type) : nil,
                                 dims: t.shape.map(dims), docString: doc)
        case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE:
            guard let t = type.sparse_tensor_type?.pointee else { break }
            return ONNXValueInfo(name: name, kind: .sparseTensor, elementType: (t.has_elem_type != 0) && t.elem_type != 0 ? ONNXDataType(rawValue: t.elem_type) : nil,
                                 dims: t.shape.map(dims), docString: doc)
        default:
            break
        }
        return ONNXValueInfo(name: name, kind: .other, elementType: nil, dims: nil, docString: doc)
    }

    private static func dims(_ s: UnsafeMutablePointer<Onnx__TensorShapeProto>) -> [ONNXDim] {
        items(s.pointee.n_dim, s.pointee.dim).map { d -> ONNXDim in
            switch d.pointee.value_case {
            case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE: .value(Int(d.pointee.dim_value))
            case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM: .param(string(d.pointee.dim_param))
            default: .unknown
            }
        }
    }

    // MARK: C arrays and strings

    /// The non-null elements of a protobuf-c array of message pointers.
    static func items<T>(_ count: Int, _ base: UnsafeMutablePointer<UnsafeMutablePointer<T>?>?) -> [UnsafeMutablePointer<T>] {
        guard count > 0, let base else { return [] }
        return UnsafeBufferPointer(start: base, count: count).compactMap { $0 }
    }

    static func buffer<T>(_ count: Int, _ base: UnsafeMutablePointer<T>?) -> UnsafeBufferPointer<T> {
        guard count > 0, let base else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: base, count: count)
    }

    static func string(_ p: UnsafeMutablePointer<CChar>?) -> String {
        guard let p else { return "" }
        return String(cString: p)
    }

    static func strings(_ count: Int, _ base: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String] {
        guard count > 0, let base else { return [] }
        return UnsafeBufferPointer(start: base, count: count).map { string($0) }
    }

    static func bytes(_ b: ProtobufCBinaryData) -> [UInt8] {
        guard b.len > 0, let data = b.data else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: b.len))
    }

    static func keyValues(_ count: Int, _ base: UnsafeMutablePointer<UnsafeMutablePointer<Onnx__StringStringEntryProto>?>?) -> [ONNXKeyValue] {
        items(count, base).map { ONNXKeyValue(key: string($0.pointee.key), value: string($0.pointee.value)) }
    }
}
