import LayerGraph

/// The model part of the header (Schemas/SGAN.md §7): the configuration and the two graphs in
/// an explicit, documented JSON form, independent of Swift's synthesized `Codable` (so renaming
/// a Swift property never changes the file format).
struct SGANModel: Equatable {
    var config: GeneratorConfig
    var mapping: Graph
    var synthesis: Graph
    var wAverage: String?
    var provenance: [String]

    init(_ g: LayerGraph) {
        config = g.config
        mapping = g.mapping
        synthesis = g.synthesis
        wAverage = g.wAverage
        provenance = g.provenance
    }

    init(config: GeneratorConfig, mapping: Graph, synthesis: Graph, wAverage: String?, provenance: [String]) {
        self.config = config
        self.mapping = mapping
        self.synthesis = synthesis
        self.wAverage = wAverage
        self.provenance = provenance
    }

    /// `required_features` (Schemas/SGAN.md §9) a reader needs for this model: primitive ops,
    /// and graphs that hold less than a whole generator.
    static let knownFeatures: Set<String> = ["primitive_ops", "graph_forms"]

    var requiredFeatures: [String] {
        var f: [String] = []
        if (mapping.nodes + synthesis.nodes).contains(where: { if case .primitive = $0.op { true } else { false } }) { f.append("primitive_ops") }
        if mapping.nodes.isEmpty || synthesis.nodes.isEmpty { f.append("graph_forms") }
        return f
    }

    func json() -> JSONValue {
        .object(JSONObject([
            "config": Self.json(config),
            "mapping": Self.json(mapping),
            "synthesis": Self.json(synthesis),
            "w_average": .optional(wAverage),
            "provenance": .array(provenance.map(JSONValue.string)),
        ]))
    }

    init(_ f: JSONField) throws(JSONField.Failure) {
        config = try Self.config(f.member("config"))
        mapping = try Self.graph(f.member("mapping"))
        synthesis = try Self.graph(f.member("synthesis"))
        wAverage = try f.optionalString("w_average")
        provenance = try f.member("provenance").array(limit: SGANFormat.Limits.provenanceLines).map { (p) throws(JSONField.Failure) in try p.string() }
    }

    // MARK: configuration

    static func json(_ c: GeneratorConfig) -> JSONValue {
        var channels = JSONObject()
        for r in c.channels.keys.sorted() { channels[String(r)] = .int(c.channels[r]!) }
        var o = JSONObject([
            "family": .string(c.family.rawValue),
            "z_dim": .int(c.zDim), "w_dim": .int(c.wDim), "c_dim": .int(c.cDim),
            "num_ws": .int(c.numWs), "resolution": .int(c.resolution), "img_channels": .int(c.imgChannels),
            "architecture": .optional(c.architecture?.rawValue),
            "mapping_layers": .int(c.mappingLayers),
            "mapping_lr_multiplier": .float(c.mappingLRMultiplier),
            "channels": .object(channels),
            "conv_clamp": c.convClamp.map(JSONValue.float) ?? .null,
            "fp16_resolutions": .array(c.fp16Resolutions.map(JSONValue.int)),
            "resample_filter": .array(c.resampleFilter.map(JSONValue.float)),
            "source_truncation_psi": c.sourceTruncationPsi.map(JSONValue.float) ?? .null,
            "source_truncation_cutoff": c.sourceTruncationCutoff.map(JSONValue.int) ?? .null,
        ])
        // Since 1.1, for imported ONNX graphs; omitted at their defaults so other files are unchanged.
        if !c.unknownFields.isEmpty { o["unknown_fields"] = .array(c.unknownFields.map(JSONValue.string)) }
        if c.bakedNoise { o["baked_noise"] = .bool(true) }
        if let b = c.fixedBatch { o["fixed_batch"] = .int(b) }
        return .object(o)
    }

    static func config(_ f: JSONField) throws(JSONField.Failure) -> GeneratorConfig {
        let familyField = try f.member("family")
        guard let family = GeneratorFamily(rawValue: try familyField.string()) else { throw familyField.fail("unknown generator family") }
        var architecture: Architecture?
        if let a = try f.optionalMember("architecture") {
            guard let v = Architecture(rawValue: try a.string()) else { throw a.fail("unknown architecture") }
            architecture = v
        }
        // Bounds keep the shape arithmetic of validation and execution far from overflow.
        let size = 0...(1 << 24)
        var channels: [Int: Int] = [:]
        for (key, value) in try f.member("channels").entries() {
            guard let r = Int(key), r > 0, r <= 65536 else { throw value.fail("key is not a resolution") }
            channels[r] = try value.int(in: size)
        }
        return GeneratorConfig(
            family: family, zDim: try f.member("z_dim").int(in: size), wDim: try f.member("w_dim").int(in: size),
            cDim: try f.member("c_dim").int(in: size), numWs: try f.member("num_ws").int(in: 0...4096),
            resolution: try f.member("resolution").int(in: 0...65536), imgChannels: try f.member("img_channels").int(in: 0...4096),
            architecture: architecture, mappingLayers: try f.member("mapping_layers").int(in: 0...1024),
            mappingLRMultiplier: try f.float("mapping_lr_multiplier"), channels: channels,
            convClamp: try f.optionalFloat("conv_clamp"),
            fp16Resolutions: try f.member("fp16_resolutions").array().map { (x) throws(JSONField.Failure) in try x.int() },
            resampleFilter: try f.member("resample_filter").array().map { (x) throws(JSONField.Failure) in try x.float() },
            sourceTruncationPsi: try f.optionalFloat("source_truncation_psi"),
            sourceTruncationCutoff: try f.optionalMember("source_truncation_cutoff")?.int(),
            // Added in 1.1; absent in older files.
            unknownFields: try f.optionalMember("unknown_fields")?.array(limit: 64).map { (x) throws(JSONField.Failure) in try x.string() } ?? [],
            bakedNoise: try f.optionalMember("baked_noise")?.bool() ?? false,
            fixedBatch: try f.optionalMember("fixed_batch")?.int(in: 1...65536))
    }

    // MARK: graphs

    static func json(_ g: Graph) -> JSONValue {
        .object(JSONObject(["output": .string(g.output), "nodes": .array(g.nodes.map(json))]))
    }

    static func graph(_ f: JSONField) throws(JSONField.Failure) -> Graph {
        let nodes = try f.member("nodes").array(limit: SGANFormat.Limits.nodes).map { (n) throws(JSONField.Failure) in try node(n) }
        return Graph(nodes: nodes, output: try f.string("output"))
    }

    static func json(_ n: Node) -> JSONValue {
        var o = JSONObject(["name": .string(n.name), "op": .string(n.op.name), "inputs": .array(n.inputs.map(JSONValue.string))])
        for (k, v) in attributes(n.op) { o[k] = v }
        return .object(o)
    }


    private static func attributes(_ op: Op) -> KeyValuePairs<String, JSONValue> {
        switch op {
        case .input, .adaIN: return [:]
        case .normalize2ndMoment(let eps), .instanceNorm(let eps): return ["eps": .float(eps)]
        case .dense(let d):
            return ["weight": .string(d.weight), "bias": .optional(d.bias), "weight_gain": .float(d.weightGain),
                    "bias_gain": .float(d.biasGain), "activation": .string(d.activation.rawValue), "gain": .float(d.gain)]
        case .concat(let axis): return ["axis": .int(axis)]
        case .broadcast(let count): return ["count": .int(count)]
        case .selectW(let index): return ["index": .int(index)]
        case .constInput(let param): return ["param": .string(param)]
        case .modulatedConv(let m):
            return ["weight": .string(m.weight), "style_gain": .float(m.styleGain), "demodulate": .bool(m.demodulate),
                    "up": .int(m.up), "padding": .int(m.padding), "resample_filter": .optional(m.resampleFilter)]
        case .conv(let c):
            return ["weight": .string(c.weight), "weight_gain": .float(c.weightGain), "up": .int(c.up),
                    "padding": .int(c.padding), "resample_filter": .optional(c.resampleFilter)]
        case .noise(let z):
            return ["strength": .string(z.strength), "const_noise": .string(z.constNoise), "resolution": .int(z.resolution)]
        case .biasAct(let b):
            return ["bias": .optional(b.bias), "bias_gain": .float(b.biasGain), "activation": .string(b.activation.rawValue),
                    "gain": .float(b.gain), "clamp": b.clamp.map(JSONValue.float) ?? .null]
        case .upfirdn2d(let u):
            return ["filter": .string(u.filter), "up": .int(u.up), "down": .int(u.down),
                    "padding": .array(u.padding.map(JSONValue.int)), "gain": .float(u.gain)]
        case .upsampleNearest(let factor): return ["factor": .int(factor)]
        case .add(let scale): return ["scale": .float(scale)]
        case let .opaque(kind, params, attributes):
            var a = JSONObject()
            for k in attributes.keys.sorted() { a[k] = .string(attributes[k]!) }
            return ["kind": .string(kind), "params": .array(params.map(JSONValue.string)), "attributes": .object(a)]
        case .primitive(let p):
            return primitiveAttributes(p)
        }
    }

    static func node(_ f: JSONField) throws(JSONField.Failure) -> Node {
        let name = try f.string("name")
        guard SGANFormat.isValidName(name) else { throw try f.member("name").fail("node name is empty, too long or has control characters") }
        let inputs = try f.member("inputs").array(limit: 1024).map { (x) throws(JSONField.Failure) in try x.string() }
        let opField = try f.member("op")
        func activation() throws(JSONField.Failure) -> Activation {
            let a = try f.member("activation")
            guard let v = Activation(rawValue: try a.string()) else { throw a.fail("unknown activation") }
            return v
        }
        let op: Op
        switch try opField.string() {
        case "input": op = .input
        case "normalize_2nd_moment": op = .normalize2ndMoment(eps: try f.float("eps"))
        case "instance_norm": op = .instanceNorm(eps: try f.float("eps"))
        case "ada_in": op = .adaIN
        case "dense":
            op = .dense(Dense(weight: try f.string("weight"), bias: try f.optionalString("bias"), weightGain: try f.float("weight_gain"),
                              biasGain: try f.float("bias_gain"), activation: try activation(), gain: try f.float("gain")))
        case "concat": op = .concat(axis: try f.member("axis").int(in: 0...8))
        case "broadcast": op = .broadcast(count: try f.member("count").int(in: 0...(1 << 20)))
        case "select_w": op = .selectW(index: try f.member("index").int(in: 0...65535))
        case "const_input": op = .constInput(param: try f.string("param"))
        case "modulated_conv":
            op = .modulatedConv(ModulatedConv(weight: try f.string("weight"), styleGain: try f.float("style_gain"),
                                              demodulate: try f.bool("demodulate"), up: try f.member("up").int(in: 1...2),
                                              padding: try f.member("padding").int(in: 0...64),
                                              resampleFilter: try f.optionalString("resample_filter")))
        case "conv":
            op = .conv(Conv(weight: try f.string("weight"), weightGain: try f.float("weight_gain"), up: try f.member("up").int(in: 1...2),
                            padding: try f.member("padding").int(in: 0...64), resampleFilter: try f.optionalString("resample_filter")))
        case "noise":
            op = .noise(Noise(strength: try f.string("strength"), constNoise: try f.string("const_noise"),
                              resolution: try f.member("resolution").int(in: 0...65536)))
        case "bias_act":
            op = .biasAct(BiasAct(bias: try f.optionalString("bias"), biasGain: try f.float("bias_gain"), activation: try activation(),
                                  gain: try f.float("gain"), clamp: try f.optionalFloat("clamp")))
        case "upfirdn2d":
            let padding = try f.member("padding").array(limit: 4).map { (x) throws(JSONField.Failure) in try x.int(in: -65536...65536) }
            op = .upfirdn2d(UpFirDn(filter: try f.string("filter"), up: try f.member("up").int(in: 1...64),
                                    down: try f.member("down").int(in: 1...64),
                                    padding: padding, gain: try f.float("gain")))
        case "upsample_nearest": op = .upsampleNearest(factor: try f.member("factor").int(in: 1...64))
        case "add": op = .add(scale: try f.float("scale"))
        case "opaque":
            var attributes: [String: String] = [:]
            for (k, v) in try f.member("attributes").entries() { attributes[k] = try v.string() }
            op = .opaque(kind: try f.string("kind"),
                         params: try f.member("params").array().map { (x) throws(JSONField.Failure) in try x.string() },
                         attributes: attributes)
        case "primitive": op = .primitive(try primitive(f))
        case let other: throw opField.fail("unknown op '\(other)' in node \(name)")
        }
        return Node(name, op, inputs: inputs)
    }
}

// MARK: primitive ops (Schemas/SGAN.md §7.1)

extension SGANModel {
    static func json(_ s: SymInt) -> JSONValue {
        s.batch == 0 ? .int(s.constant) : .object(JSONObject(["n": .int(s.batch), "c": .int(s.constant)]))
    }

    static func json(_ c: PrimitiveConstant) -> JSONValue {
        .object(JSONObject([
            "type": .string(c.type.rawValue),
            "dims": .array(c.dims.map(JSONValue.int)),
            "values": .array(c.type == .float ? c.floats.map(JSONValue.float) : c.ints.map(json)),
        ]))
    }

    static func primitiveAttributes(_ p: Primitive) -> KeyValuePairs<String, JSONValue> {
        let operands: [JSONValue] = p.operands.map { o in
            switch o {
            case .input(let i): .object(JSONObject(["input": .int(i)]))
            case let .tensor(name, type): .object(JSONObject(["tensor": .string(name), "type": .string(type.rawValue)]))
            case .constant(let c): .object(JSONObject(["constant": json(c)]))
            case .absent: .null
            }
        }
        var attributes = JSONObject()
        for k in p.attributes.keys.sorted() {
            let v: JSONValue = switch p.attributes[k]! {
            case .int(let i): .object(JSONObject(["int": .int(i)]))
            case .ints(let a): .object(JSONObject(["ints": .array(a.map(JSONValue.int))]))
            case .float(let x): .object(JSONObject(["float": .float(x)]))
            case .floats(let a): .object(JSONObject(["floats": .array(a.map(JSONValue.float))]))
            case .string(let t): .object(JSONObject(["string": .string(t)]))
            case .strings(let a): .object(JSONObject(["strings": .array(a.map(JSONValue.string))]))
            }
            attributes[k] = v
        }
        return ["op_type": .string(p.opType), "operands": .array(operands), "attributes": .object(attributes),
                "output": .int(p.output), "input_types": .array(p.inputTypes.map { .string($0.rawValue) }),
                "output_type": .string(p.outputType.rawValue)]
    }

    static func elementType(_ f: JSONField) throws(JSONField.Failure) -> ElementType {
        guard let t = ElementType(rawValue: try f.string()) else { throw f.fail("unknown element type") }
        return t
    }

    static func symInt(_ f: JSONField) throws(JSONField.Failure) -> SymInt {
        if case .object = f.value { return SymInt(batch: try f.member("n").int(in: -65536...65536), constant: try f.int("c")) }
        return .c(try f.int())
    }

    static func constant(_ f: JSONField) throws(JSONField.Failure) -> PrimitiveConstant {
        let type = try elementType(f.member("type"))
        let dims = try f.member("dims").array(limit: SGANFormat.Limits.rank).map { (d) throws(JSONField.Failure) in try d.int(in: 0...(1 << 24)) }
        let values = try f.member("values").array(limit: 1 << 20)
        var count = 1
        for d in dims {
            count *= d
            guard count <= 1 << 20 else { throw f.fail("constant has more than 2^20 elements") }
        }
        guard values.count == count else { throw f.fail("\(values.count) values for dimensions \(dims)") }
        if type == .float {
            return PrimitiveConstant(floats: try values.map { (v) throws(JSONField.Failure) in try v.float() }, dims: dims)
        }
        return PrimitiveConstant(ints: try values.map { (v) throws(JSONField.Failure) in try symInt(v) }, dims: dims, type: type)
    }

    static func primitive(_ f: JSONField) throws(JSONField.Failure) -> Primitive {
        let opType = try f.string("op_type")
        var operands: [Operand] = []
        for o in try f.member("operands").array(limit: 1024) {
            if o.isNull { operands.append(.absent); continue }
            if let i = try o.optionalMember("input") {
                operands.append(.input(try i.int(in: 0...1023)))
            } else if let t = try o.optionalMember("tensor") {
                operands.append(.tensor(try t.string(), try elementType(o.member("type"))))
            } else if let c = try o.optionalMember("constant") {
                operands.append(.constant(try constant(c)))
            } else {
                throw o.fail("operand is not an input, a tensor, a constant or null")
            }
        }
        var attributes: [String: PrimitiveAttribute] = [:]
        for (k, v) in try f.member("attributes").entries() {
            guard let (kind, x) = try v.entries().first, try v.entries().count == 1 else { throw v.fail("expected one kind") }
            switch kind {
            case "int": attributes[k] = .int(try x.int())
            case "ints": attributes[k] = .ints(try x.array(limit: 1 << 16).map { (e) throws(JSONField.Failure) in try e.int() })
            case "float": attributes[k] = .float(try x.float())
            case "floats": attributes[k] = .floats(try x.array(limit: 1 << 16).map { (e) throws(JSONField.Failure) in try e.float() })
            case "string": attributes[k] = .string(try x.string())
            case "strings": attributes[k] = .strings(try x.array(limit: 1 << 16).map { (e) throws(JSONField.Failure) in try e.string() })
            default: throw x.fail("unknown attribute kind '\(kind)'")
            }
        }
        return Primitive(opType: opType, operands: operands, attributes: attributes, output: try f.member("output").int(in: 0...1023),
                         inputTypes: try f.member("input_types").array(limit: 1024).map { (t) throws(JSONField.Failure) in try elementType(t) },
                         outputType: try elementType(f.member("output_type")))
    }
}
