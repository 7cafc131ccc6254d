import Tensors

extension SGANHeader {
    /// Decodes and checks a parsed header (Schemas/SGAN.md §3 steps 10–12, except the region
    /// layout): types, limits, names, dtypes, shapes, lengths and quantisation entries.
    /// Errors name `file`; offsets are absolute (the header starts at byte 64).
    static func decode(_ json: JSONValue, file: String) throws(SGANError) -> SGANHeader {
        let root = JSONField(value: json, path: "")
        func malformed(_ f: JSONField.Failure, tensor: String? = nil) -> SGANError {
            SGANError(path: file, offset: SGANFormat.preambleSize, tensor: tensor, .malformedHeader(f.description))
        }
        do {
            guard case .object = json else { throw root.fail("the header is not a JSON object") }
            for f in try root.member("required_features").array() {
                let feature = try f.string()
                if !SGANFormat.knownFeatures.contains(feature) && !SGANModel.knownFeatures.contains(feature) {
                    throw SGANError(path: file, offset: SGANFormat.preambleSize, .unsupportedFeature(feature))
                }
            }
            let alignmentField = try root.member("alignment")
            let alignment = try alignmentField.int(in: 64...4096)
            guard alignment & (alignment - 1) == 0 else { throw alignmentField.fail("\(alignment) is not a power of two") }
            let model = try SGANModel(root.member("model"))
            let provenance = try decodeProvenance(root.member("conversion"))
            var metadata: [String: String] = [:]
            if let m = try root.optionalMember("metadata") {
                for (k, v) in try m.entries() { metadata[k] = try v.string() }
            }
            let table = try root.member("tensors")
            guard case .array(let entries) = table.value else { throw table.fail("expected an array") }
            guard entries.count <= SGANFormat.Limits.tensors else {
                throw SGANError(path: file, offset: SGANFormat.preambleSize,
                                .limitExceeded(what: "tensor count", value: entries.count, limit: SGANFormat.Limits.tensors))
            }
            var seen = Set<String>()
            var tensors: [SGANTensorInfo] = []
            tensors.reserveCapacity(entries.count)
            for f in try table.array() {
                let t = try decodeTensor(f, file: file)
                guard seen.insert(t.name).inserted else {
                    throw SGANError(path: file, offset: t.region.offset, tensor: t.name, .duplicateTensor)
                }
                tensors.append(t)
            }
            return SGANHeader(requiredFeatures: [], alignment: alignment, model: model, provenance: provenance,
                              tensors: tensors, metadata: metadata)
        } catch let e as SGANError {
            throw e
        } catch let e as JSONField.Failure {
            throw malformed(e)
        } catch {
            throw SGANError(path: file, offset: SGANFormat.preambleSize, .malformedHeader("\(error)"))
        }
    }

    private static func decodeProvenance(_ c: JSONField) throws(JSONField.Failure) -> SGANProvenance {
        let options = try c.member("options")
        var parameterCount: Int?
        if let p = try c.optionalMember("source_parameter_count") { parameterCount = try p.int(in: 0...Int.max) }
        return SGANProvenance(
            source: SGANSource(format: try c.string("source_format"), file: try c.optionalString("source_file"),
                               sha256: try c.optionalString("source_sha256"), network: try c.optionalString("source_network"),
                               parameterCount: parameterCount),
            converter: try c.string("converter"), converterVersion: try c.string("converter_version"),
            createdBy: try c.string("created_by"), createdAt: try c.optionalString("created_at"),
            dtype: try options.string("dtype"),
            keepF32: try options.member("keep_f32").array().map { (x) throws(JSONField.Failure) in try x.string() })
    }

    private static func crc(_ f: JSONField) throws(JSONField.Failure) -> UInt32 {
        let s = try f.string()
        guard s.utf8.count == 8, s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }),
              let v = UInt32(s, radix: 16) else { throw f.fail("expected 8 lowercase hexadecimal digits") }
        return v
    }

    private static func decodeTensor(_ f: JSONField, file: String) throws -> SGANTensorInfo {
        let nameField = try f.member("name")
        let name = try nameField.string()
        func stop(_ kind: SGANError.Kind, at offset: Int = SGANFormat.preambleSize) -> SGANError {
            SGANError(path: file, offset: offset, tensor: name, kind)
        }
        guard SGANFormat.isValidName(name) else { throw stop(.badName) }
        do {
            let offset = try f.member("offset").int(in: 0...Int.max)
            let length = try f.member("length").int(in: 0...Int.max)
            let dtypeName = try f.string("dtype")
            guard let dtype = DType(rawValue: dtypeName), SGANFormat.storageDTypes.contains(dtype) else {
                throw stop(.unsupportedDType(dtypeName), at: offset)
            }
            let dimsField = try f.member("shape")
            guard case .array(let rawDims) = dimsField.value else { throw dimsField.fail("expected an array") }
            guard rawDims.count <= SGANFormat.Limits.rank else {
                throw stop(.limitExceeded(what: "rank", value: rawDims.count, limit: SGANFormat.Limits.rank), at: offset)
            }
            let dims = try dimsField.array().map { (d) throws(JSONField.Failure) in try d.int(in: 0...SGANFormat.Limits.dimension) }
            let shape: Shape
            let expected: Int
            do {
                shape = try Shape(dims)
                expected = try shape.byteCount(of: dtype)
            } catch {
                throw stop(.badShape("\(error)"), at: offset)
            }
            guard length == expected else { throw stop(.lengthMismatch(stored: length, expected: expected), at: offset) }
            let region = SGANRegion(offset: offset, length: length, crc32: try crc(f.member("crc32")))
            let role = try f.optionalString("role").flatMap(SGANTensorRole.init(rawValue:)) ?? .other
            let sourceDType = try f.optionalString("source_dtype").flatMap(DType.init(rawValue:))
            var quantization: SGANQuantization?
            if let q = try f.optionalMember("quantization") {
                guard dtype == .i8 else { throw stop(.badQuantization("only i8 tensors are quantized, this one is \(dtype)"), at: offset) }
                guard try q.string("scheme") == SGANQuantization.scheme else {
                    throw stop(.badQuantization("unknown scheme '\(try q.string("scheme"))'"), at: offset)
                }
                guard try q.int("axis") == 0 else { throw stop(.badQuantization("axis must be 0"), at: offset) }
                guard shape.rank >= 1 else { throw stop(.badQuantization("a scalar has no channel axis"), at: offset) }
                let s = try q.member("scales")
                guard try s.string("dtype") == "f32" else { throw stop(.badQuantization("scales must be f32"), at: offset) }
                let scalesOffset = try s.member("offset").int(in: 0...Int.max)
                let scalesLength = try s.member("length").int(in: 0...Int.max)
                guard scalesLength == 4 * shape.dims[0] else {
                    throw stop(.badQuantization("\(scalesLength) bytes of scales for \(shape.dims[0]) channels"), at: scalesOffset)
                }
                quantization = SGANQuantization(axis: 0, scales: SGANRegion(offset: scalesOffset, length: scalesLength, crc32: try crc(s.member("crc32"))))
            } else if dtype == .i8 {
                throw stop(.badQuantization("i8 tensor without quantization parameters"), at: offset)
            }
            return SGANTensorInfo(name: name, dtype: dtype, shape: shape, region: region, role: role,
                                  sourceDType: sourceDType, quantization: quantization)
        } catch let e as JSONField.Failure {
            throw stop(.malformedHeader(e.description))
        }
    }
}
