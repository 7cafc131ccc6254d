internal import CONNXProto
internal import CProtobufC
import Tensors

/// TensorProto → Tensor: the element type, the dimensions, and the elements from raw_data, a
/// typed list, or an external file. Every length is checked against dims × element size before
/// anything is allocated.
extension _Decoder {
    static let supportedTypes = "FLOAT, FLOAT16, BFLOAT16, DOUBLE, INT64, INT32, INT16, INT8, UINT8, BOOL"

    func tensor(_ t: UnsafeMutablePointer<Onnx__TensorProto>) throws(ONNXError) -> Tensor {
        let p = t.pointee
        guard p.has_data_type != 0, p.data_type != 0 else { throw error(.invalid, "tensor has no data_type") }
        let type = ONNXDataType(rawValue: p.data_type)
        guard let dtype = type.dtype else {
            throw error(.unsupported, "element type \(type) is not supported (supported: \(Self.supportedTypes))")
        }
        guard p.segment == nil else { throw error(.unsupported, "segmented tensors (TensorProto.segment) are not supported") }
        let dims = Self.buffer(p.n_dims, p.dims).map { Int($0) }
        let shape: Shape
        let byteCount: Int
        do {
            shape = try Shape(dims)
            byteCount = try shape.byteCount(of: dtype)
        } catch {
            throw self.error(.invalid, "dims \(dims): \(error.description)")
        }

        let location = (p.has_data_location != 0) ? p.data_location.rawValue : 0
        let typed: [(String, Int)] = [
            ("float_data", p.n_float_data), ("int32_data", p.n_int32_data), ("string_data", p.n_string_data),
            ("int64_data", p.n_int64_data), ("double_data", p.n_double_data), ("uint64_data", p.n_uint64_data),
        ].filter { $0.1 > 0 }
        var present = typed.map(\.0)
        if p.has_raw_data != 0 { present.insert("raw_data", at: 0) }

        if location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL.rawValue {
            guard present.isEmpty || (present == ["raw_data"] && p.raw_data.len == 0) else {
                throw error(.invalid, "data_location is EXTERNAL but the tensor also has \(present.joined(separator: ", "))")
            }
            return try externalTensor(p, dtype: dtype, shape: shape, byteCount: byteCount)
        }
        guard location == ONNX__TENSOR_PROTO__DATA_LOCATION__DEFAULT.rawValue else {
            throw error(.invalid, "data_location \(location) is neither DEFAULT (0) nor EXTERNAL (1)")
        }
        guard present.count <= 1 else {
            throw error(.invalid, "the elements are given more than once (\(present.joined(separator: ", ")))")
        }

        if p.has_raw_data != 0 {
            guard p.raw_data.len == byteCount else {
                throw error(.invalid, "raw_data has \(p.raw_data.len) bytes, but dims \(dims) of \(type) need \(byteCount)")
            }
            guard let storage = _ProtobufC.takeRawData(t) else { return try make(dtype, shape, SharedBytes([])) }
            return try make(dtype, shape, storage)
        }
        guard let (field, count) = typed.first else {
            guard shape.count == 0 else {
                throw error(.invalid, "the tensor has no elements (no raw_data or typed data), but dims \(dims) need \(shape.count)")
            }
            return try make(dtype, shape, SharedBytes([]))
        }
        let expected = Self.typedField(for: dtype)
        guard field == expected else {
            throw error(.invalid, "\(field) cannot hold \(type) elements (\(expected) can)")
        }
        guard count == shape.count else {
            throw error(.invalid, "\(field) has \(count) elements, but dims \(dims) need \(shape.count)")
        }
        let storage = SharedBytes(count: byteCount) { out in Self.fill(out, dtype: dtype, from: p) }
        return try make(dtype, shape, storage)
    }

    private func make(_ dtype: DType, _ shape: Shape, _ storage: SharedBytes, offset: Int = 0) throws(ONNXError) -> Tensor {
        do { return try Tensor(dtype: dtype, shape: shape, storage: storage, offset: offset) } catch {
            throw self.error(.invalid, error.description)
        }
    }

    /// The typed list that holds elements of `dtype` (ONNX's rules; 16-bit floats as bit patterns).
    static func typedField(for dtype: DType) -> String {
        switch dtype {
        case .f32: "float_data"
        case .f64: "double_data"
        case .i64: "int64_data"
        case .i32, .i16, .i8, .u8, .bool, .f16, .bf16: "int32_data"
        }
    }

    /// Writes the typed list's values as little-endian elements (narrowing as NumPy's `astype`
    /// does: integers wrap, booleans are value != 0, 16-bit floats are the low 16 bits).
    private static func fill(_ out: UnsafeMutableRawBufferPointer, dtype: DType, from p: Onnx__TensorProto) {
        switch dtype {
        case .f32:
            for (i, v) in buffer(p.n_float_data, p.float_data).enumerated() {
                out.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
            }
        case .f64:
            for (i, v) in buffer(p.n_double_data, p.double_data).enumerated() {
                out.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i * 8, as: UInt64.self)
            }
        case .i64:
            for (i, v) in buffer(p.n_int64_data, p.int64_data).enumerated() {
                out.storeBytes(of: v.littleEndian, toByteOffset: i * 8, as: Int64.self)
            }
        case .i32:
            for (i, v) in buffer(p.n_int32_data, p.int32_data).enumerated() {
                out.storeBytes(of: v.littleEndian, toByteOffset: i * 4, as: Int32.self)
            }
        case .i16, .f16, .bf16:
            for (i, v) in buffer(p.n_int32_data, p.int32_data).enumerated() {
                out.storeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian, toByteOffset: i * 2, as: UInt16.self)
            }
        case .i8, .u8:
            for (i, v) in buffer(p.n_int32_data, p.int32_data).enumerated() { out[i] = UInt8(truncatingIfNeeded: v) }
        case .bool:
            for (i, v) in buffer(p.n_int32_data, p.int32_data).enumerated() { out[i] = v != 0 ? 1 : 0 }
        }
    }

    // MARK: External data

    private func externalTensor(_ p: Onnx__TensorProto, dtype: DType, shape: Shape, byteCount: Int) throws(ONNXError) -> Tensor {
        var entries: [String: String] = [:]
        for e in Self.items(p.n_external_data, p.external_data) {
            let key = Self.string(e.pointee.key)
            guard entries.updateValue(Self.string(e.pointee.value), forKey: key) == nil else {
                throw error(.externalData, "external_data has the key \(ONNXError.quote(key)) more than once")
            }
        }
        guard let location = entries["location"] else {
            throw error(.externalData, "data_location is EXTERNAL but external_data has no 'location'")
        }
        let offset = try byteCountValue(entries["offset"], key: "offset") ?? 0
        let length = try byteCountValue(entries["length"], key: "length")
        let file: _ExternalFiles.File
        do { file = try external.open(location) } catch { throw self.error(.externalData, error.message) }
        let size = file.bytes.count
        let name = ONNXError.quote(location)
        guard offset <= size else {
            throw error(.externalData, "offset \(offset) is past the end of \(name) (\(size) bytes)")
        }
        if let length {
            guard length <= size - offset else {
                throw error(.externalData, "offset \(offset) + length \(length) runs past the end of \(name) (\(size) bytes)")
            }
            guard length == byteCount else {
                throw error(.externalData, "length \(length) does not match dims \(shape.dims) of \(ONNXDataType(dtype)) (\(byteCount) bytes)")
            }
        } else {
            guard byteCount <= size - offset else {
                throw error(.externalData, "dims \(shape.dims) of \(ONNXDataType(dtype)) need \(byteCount) bytes at offset \(offset), but \(name) has \(size - offset) after it")
            }
        }
        // The mapping starts on a page boundary: an element-aligned offset gives aligned elements,
        // so the tensor points into the mapping; otherwise it gets an aligned copy.
        if offset % dtype.byteSize == 0 { return try make(dtype, shape, file.bytes, offset: offset) }
        let copy = file.bytes.withUnsafeBytes { src in
            SharedBytes(count: byteCount) { dst in
                if byteCount > 0 { dst.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: byteCount) }
            }
        }
        return try make(dtype, shape, copy)
    }

    /// A non-negative decimal byte count written as text, as ONNX stores offset and length.
    private func byteCountValue(_ text: String?, key: String) throws(ONNXError) -> Int? {
        guard let text else { return nil }
        guard !text.isEmpty, text.utf8.count <= 19, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = Int(text) else {
            throw error(.externalData, "external_data \(key) \(ONNXError.quote(text)) is not a non-negative decimal byte count")
        }
        return v
    }
}
