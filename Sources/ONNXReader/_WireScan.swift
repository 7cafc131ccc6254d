internal import CONNXProto
internal import CProtobufC
import ByteIO
import Tensors

/// The shape of the ONNX schema as the wire format sees it: for each message, which field
/// numbers hold nested messages and which wire types each field may use. Built once from the
/// descriptors protoc-c generated, so it cannot drift from the decoder.
struct _WireSchema: Sendable {
    struct Field: Sendable {
        let name: String
        /// Index of the nested message in `messages`, for message fields.
        let message: Int?
        /// Bit `w` set when wire type `w` is acceptable.
        let wireTypes: UInt8
        /// Packed element size for fixed-width packable fields (4 or 8), 0 for varints, nil if not packable.
        let packedElement: Int?
    }

    struct Message: Sendable {
        let name: String
        let fields: [UInt32: Field]
    }

    let messages: [Message]

    static let onnx = _WireSchema(root: sg_onnx_model_descriptor())

    private init(root: UnsafePointer<ProtobufCMessageDescriptor>) {
        var index: [UnsafeRawPointer: Int] = [UnsafeRawPointer(root): 0]
        var order: [UnsafePointer<ProtobufCMessageDescriptor>] = [root]
        var built: [Message] = []
        var i = 0
        while i < order.count {
            let d = order[i].pointee
            var fields: [UInt32: Field] = [:]
            for f in UnsafeBufferPointer(start: d.fields, count: Int(d.n_fields)) {
                let repeated = f.label == PROTOBUF_C_LABEL_REPEATED
                var nested: Int?
                if f.type == PROTOBUF_C_TYPE_MESSAGE, let sub = f.descriptor {
                    if let known = index[sub] {
                        nested = known
                    } else {
                        nested = order.count
                        index[sub] = order.count
                        order.append(sub.assumingMemoryBound(to: ProtobufCMessageDescriptor.self))
                    }
                }
                let (native, element) = Self.wire(of: f.type)
                var wires: UInt8 = 1 << native
                if repeated && element != nil { wires |= 1 << 2 }  // packed form of a scalar list
                fields[f.id] = Field(name: String(cString: f.name), message: nested, wireTypes: wires,
                                     packedElement: repeated ? element : nil)
            }
            built.append(Message(name: String(cString: d.short_name), fields: fields))
            i += 1
        }
        messages = built
    }

    /// The native wire type of a field type and, for packable scalars, the packed element size.
    private static func wire(of type: ProtobufCType) -> (UInt8, Int?) {
        switch type {
        case PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_SINT32, PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SINT64,
             PROTOBUF_C_TYPE_UINT32, PROTOBUF_C_TYPE_UINT64, PROTOBUF_C_TYPE_BOOL, PROTOBUF_C_TYPE_ENUM:
            return (0, 0)
        case PROTOBUF_C_TYPE_SFIXED32, PROTOBUF_C_TYPE_FIXED32, PROTOBUF_C_TYPE_FLOAT:
            return (5, 4)
        case PROTOBUF_C_TYPE_SFIXED64, PROTOBUF_C_TYPE_FIXED64, PROTOBUF_C_TYPE_DOUBLE:
            return (1, 8)
        default:  // string, bytes, message
            return (2, nil)
        }
    }
}

/// A problem found while walking the protobuf encoding.
struct _WireError: Error {
    let offset: Int
    let path: String
    let message: String
    let isLimit: Bool
}

/// Walks a whole ONNX protobuf before libprotobuf-c sees it: every tag, length and nested
/// message is checked against the bytes that remain, nesting is bounded (libprotobuf-c recurses
/// without a limit), and errors name the field path and byte offset. Nothing is allocated per
/// field; packed lists are checked without being decoded.
struct _WireScanner {
    let schema: _WireSchema
    let maxDepth: Int

    func scan(_ bytes: SharedBytes) throws(_WireError) {
        var reader = ByteReader(bytes)
        var path: [String] = []
        try scanMessage(&reader, message: 0, depth: 1, path: &path)
    }

    private func fail(_ offset: Int, _ path: [String], _ message: String, limit: Bool = false) -> _WireError {
        _WireError(offset: offset, path: path.isEmpty ? "ModelProto" : "ModelProto." + path.joined(separator: "."),
                   message: message, isLimit: limit)
    }

    private func scanMessage(_ r: inout ByteReader, message: Int, depth: Int, path: inout [String]) throws(_WireError) {
        let info = schema.messages[message]
        var occurrences: [UInt32: Int] = [:]
        while !r.isAtEnd {
            let tagAt = r.offset
            let key = try varint(&r, path, "field tag")
            guard key <= UInt64(UInt32.max) else { throw fail(tagAt, path, "field tag \(key) is out of range") }
            let number = UInt32(key >> 3)
            let wire = UInt8(key & 7)
            guard number != 0 else { throw fail(tagAt, path, "field number 0 is not allowed (not a protobuf message?)") }
            let field = info.fields[number]
            let n = occurrences[number, default: 0]
            occurrences[number] = n + 1
            path.append(field.map { "\($0.name)[\(n)]" } ?? "#\(number)[\(n)]")
            defer { path.removeLast() }
            if wire == 3 || wire == 4 { throw fail(tagAt, path, "wire type \(wire) (groups) is not used by ONNX") }
            if wire > 5 { throw fail(tagAt, path, "wire type \(wire) does not exist") }
            if let field, field.wireTypes & (1 << wire) == 0 {
                throw fail(tagAt, path, "\(info.name).\(field.name) has wire type \(wire), which its type does not allow")
            }
            switch wire {
            case 0:
                _ = try varint(&r, path, "varint value")
            case 1:
                try skip(&r, 8, path, "64-bit value")
            case 5:
                try skip(&r, 4, path, "32-bit value")
            case 2:
                let lengthAt = r.offset
                let length = try varint(&r, path, "length")
                guard length <= UInt64(r.remaining) else {
                    throw fail(lengthAt, path, "length \(length) runs past the end of its message (\(r.remaining) bytes remain)")
                }
                let count = Int(length)
                if let nested = field?.message {
                    guard depth < maxDepth else {
                        throw fail(lengthAt, path, "messages nest deeper than ONNXLimits.maxNesting (\(maxDepth))", limit: true)
                    }
                    var sub: ByteReader
                    do { sub = try r.subReader(count, "nested message") } catch { throw fail(lengthAt, path, error.description) }
                    try scanMessage(&sub, message: nested, depth: depth + 1, path: &path)
                } else if let element = field?.packedElement {
                    var sub: ByteReader
                    do { sub = try r.subReader(count, "packed list") } catch { throw fail(lengthAt, path, error.description) }
                    if element > 0 {
                        guard count % element == 0 else {
                            throw fail(lengthAt, path, "packed list of \(element)-byte values has \(count) bytes, not a multiple of \(element)")
                        }
                    } else {
                        while !sub.isAtEnd { _ = try varint(&sub, path, "packed varint") }
                    }
                } else {
                    try skip(&r, count, path, "length-delimited value")
                }
            default:
                preconditionFailure("wire type \(wire) checked above")
            }
        }
    }

    private func skip(_ r: inout ByteReader, _ count: Int, _ path: [String], _ what: String) throws(_WireError) {
        do { try r.skip(count, what) } catch { throw fail(error.offset, path, error.description) }
    }

    /// A base-128 varint of at most 10 bytes.
    private func varint(_ r: inout ByteReader, _ path: [String], _ what: String) throws(_WireError) -> UInt64 {
        let start = r.offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte: UInt8
            do { byte = try r.u8(what) } catch { throw fail(start, path, "truncated \(what): the file ends inside it") }
            if shift == 63 {  // the 10th byte: the last one a varint may have, holding bit 63 only
                if byte & 0x80 != 0 { throw fail(start, path, "\(what) is longer than 10 bytes") }
                if byte > 1 { throw fail(start, path, "\(what) does not fit in 64 bits") }
            }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }
}
