#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
internal import CHDF5

/// Scalar string attributes, both storage forms HDF5 has: variable-length (h5py's default for
/// `str`) and fixed-length (h5py's for `bytes`/`np.bytes_`).
extension _HDF5 {
    static func readStringAttribute(_ obj: hid_t, name: String, file: String, object: String) throws(HDF5Error) -> String {
        let present = H5Aexists(obj, name)
        guard present >= 0 else { throw failure(file, object, "look up attribute '\(name)'") }
        guard present > 0 else { throw .noAttribute(file: file, object: object, name: name) }
        let attr = H5Aopen(obj, name, sg_H5P_DEFAULT())
        guard attr >= 0 else { throw failure(file, object, "open attribute '\(name)'") }
        defer { H5Aclose(attr) }
        let type = H5Aget_type(attr)
        guard type >= 0 else { throw failure(file, object, "read attribute '\(name)'") }
        defer { H5Tclose(type) }

        let typeClass = H5Tget_class(type)
        guard typeClass == H5T_STRING else {
            throw .unsupportedAttributeType(file: file, object: object, name: name, type: className(typeClass))
        }
        let space = H5Aget_space(attr)
        guard space >= 0 else { throw failure(file, object, "read attribute '\(name)'") }
        defer { H5Sclose(space) }
        let count = H5Sget_simple_extent_npoints(space)
        guard count == 1 else {
            throw .unsupportedAttributeType(file: file, object: object, name: name, type: "array of \(count) strings")
        }

        let bytes: [UInt8]
        if H5Tis_variable_str(type) > 0 {
            let memory = H5Tcopy(sg_H5T_C_S1())
            guard memory >= 0 else { throw failure(file, object, "read attribute '\(name)'") }
            defer { H5Tclose(memory) }
            H5Tset_size(memory, sg_H5T_VARIABLE())
            H5Tset_cset(memory, H5Tget_cset(type))
            var p: UnsafeMutablePointer<CChar>? = nil
            guard H5Aread(attr, memory, &p) >= 0 else { throw failure(file, object, "read attribute '\(name)'") }
            defer { if let p { H5free_memory(p) } }
            bytes = p.map { Array(UnsafeRawBufferPointer(start: $0, count: strlen($0))) } ?? []
        } else {
            // Read with the file's own type (same size and padding): a plain byte copy.
            let size = H5Tget_size(type)
            var buffer = [UInt8](repeating: 0, count: max(size, 1))
            guard H5Aread(attr, type, &buffer) >= 0 else { throw failure(file, object, "read attribute '\(name)'") }
            // Null-terminated and null-padded strings end at the first NUL; space-padded ones
            // lose their trailing spaces.
            var end = buffer.prefix(size).firstIndex(of: 0) ?? size
            if H5Tget_strpad(type) == H5T_STR_SPACEPAD {
                while end > 0, buffer[end - 1] == 0x20 { end -= 1 }
            }
            bytes = Array(buffer[..<end])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalidArgument(file: file, path: object, reason: "attribute '\(name)' is not valid UTF-8")
        }
        return text
    }

    /// Creates (or replaces) a scalar string attribute.
    static func writeStringAttribute(_ obj: hid_t, name: String, value: String, encoding: HDF5StringEncoding,
                                     layout: HDF5StringLayout, file: String, object: String) throws(HDF5Error) {
        let invalid = { (why: String) in HDF5Error.invalidArgument(file: file, path: object, reason: "attribute '\(name)' \(why)") }
        let bytes = Array(value.utf8)
        // C strings cannot hold NUL, and null-padded ones would lose everything after it.
        guard !bytes.contains(0) else { throw invalid("contains a NUL character") }
        if encoding == .ascii, bytes.contains(where: { $0 >= 0x80 }) { throw invalid("is not ASCII") }

        let present = H5Aexists(obj, name)
        guard present >= 0 else { throw failure(file, object, "look up attribute '\(name)'") }
        if present > 0, H5Adelete(obj, name) < 0 { throw failure(file, object, "replace attribute '\(name)'") }

        let type = H5Tcopy(sg_H5T_C_S1())
        guard type >= 0 else { throw failure(file, object, "write attribute '\(name)'") }
        defer { H5Tclose(type) }
        let sized = layout == .variableLength
            ? H5Tset_size(type, sg_H5T_VARIABLE())
            : H5Tset_size(type, max(bytes.count, 1))  // HDF5 has no zero-length string type
        guard sized >= 0, H5Tset_strpad(type, layout == .variableLength ? H5T_STR_NULLTERM : H5T_STR_NULLPAD) >= 0,
              H5Tset_cset(type, encoding == .ascii ? H5T_CSET_ASCII : H5T_CSET_UTF8) >= 0 else {
            throw failure(file, object, "write attribute '\(name)'")
        }
        let space = H5Screate(H5S_SCALAR)
        guard space >= 0 else { throw failure(file, object, "write attribute '\(name)'") }
        defer { H5Sclose(space) }
        let attr = H5Acreate2(obj, name, type, space, sg_H5P_DEFAULT(), sg_H5P_DEFAULT())
        guard attr >= 0 else { throw failure(file, object, "create attribute '\(name)'") }
        defer { H5Aclose(attr) }

        let status: herr_t
        if layout == .variableLength {
            status = value.withCString { c in
                var p: UnsafePointer<CChar>? = c
                return H5Awrite(attr, type, &p)
            }
        } else {
            let padded = bytes.isEmpty ? [0] : bytes
            status = padded.withUnsafeBytes { H5Awrite(attr, type, $0.baseAddress) }
        }
        guard status >= 0 else { throw failure(file, object, "write attribute '\(name)'") }
    }
}
