internal import CHDF5
import Synchronization

/// Shared plumbing for `HDF5File` and `HDF5Writer`: the process-wide lock, error translation,
/// object lookup and the dtype ↔ HDF5 type mapping. Everything here except `locked` assumes
/// the caller already holds the lock.
enum _HDF5 {
    /// Debian's serial libhdf5 is not thread-safe (and its error stack is global), while Swift
    /// Testing and library users call from many threads: every HDF5 call runs under this lock.
    private static let lock = Mutex<Void>(())

    static func locked<R: Sendable, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        try lock.withLock { (_: inout Void) throws(E) -> R in
            // Errors become Swift values; without this HDF5 prints its stack to stderr.
            // Cheap, and repeated because thread-safe builds keep the setting per thread.
            H5Eset_auto2(sg_H5E_DEFAULT(), nil, nil)
            return try body()
        }
    }

    /// The most specific message on HDF5's error stack (read it right after the failing call:
    /// the next API call clears the stack).
    static func stackDetail() -> String {
        var detail = ""
        withUnsafeMutablePointer(to: &detail) { p in
            _ = H5Ewalk2(sg_H5E_DEFAULT(), H5E_WALK_UPWARD, { n, error, data in
                guard n == 0, let error, let desc = error.pointee.desc, let data else { return 0 }
                data.assumingMemoryBound(to: String.self).pointee = String(cString: desc)
                return 0
            }, p)
        }
        return detail
    }

    static func failure(_ file: String, _ path: String, _ operation: String) -> HDF5Error {
        .library(file: file, path: path, operation: operation, detail: stackDetail())
    }

    /// Path components, ignoring a leading "/" and empty parts ("/a//b" → ["a", "b"]).
    static func components(_ path: String) -> [String] {
        path.split(separator: "/").map(String.init)
    }

    /// Whether every component of `path` exists as a link (H5Lexists alone fails, rather than
    /// answering no, when an intermediate group is missing).
    static func exists(_ loc: hid_t, _ path: String) -> Bool {
        var prefix = ""
        for part in components(path) {
            prefix += prefix.isEmpty ? part : "/" + part
            guard H5Lexists(loc, prefix, sg_H5P_DEFAULT()) > 0 else { return false }
        }
        return true
    }

    /// Opens the group or dataset at `path` ("/" or "" is the root). The caller closes it with
    /// `H5Oclose`. Returns nil when nothing is there.
    static func openObject(_ loc: hid_t, _ file: String, _ path: String) throws(HDF5Error) -> hid_t? {
        guard exists(loc, path) else { return nil }
        let parts = components(path)
        let id = H5Oopen(loc, parts.isEmpty ? "/" : parts.joined(separator: "/"), sg_H5P_DEFAULT())
        guard id >= 0 else { throw failure(file, path, "open object") }
        return id
    }

    /// Appends the paths of all datasets under `group`, depth first in name order. Soft and
    /// external links are not followed (they could point outside the file or loop).
    static func collectDatasets(_ group: hid_t, file: String, prefix: String, depth: Int,
                                into out: inout [String]) throws(HDF5Error) {
        guard depth < 64 else {
            throw .invalidArgument(file: file, path: prefix, reason: "groups nested deeper than 64 levels (a hard-link cycle?)")
        }
        var info = H5G_info_t()
        guard H5Gget_info(group, &info) >= 0 else { throw failure(file, prefix.isEmpty ? "/" : prefix, "list group") }
        for i in 0..<info.nlinks {
            let name = try linkName(group, index: i, file: file, prefix: prefix)
            let full = prefix.isEmpty ? name : prefix + "/" + name
            guard sg_link_is_hard(group, name) == 1 else { continue }
            let obj = H5Oopen(group, name, sg_H5P_DEFAULT())
            guard obj >= 0 else { throw failure(file, full, "open object") }
            defer { H5Oclose(obj) }
            switch H5Iget_type(obj) {
            case H5I_DATASET: out.append(full)
            case H5I_GROUP: try collectDatasets(obj, file: file, prefix: full, depth: depth + 1, into: &out)
            default: break  // committed datatypes hold no data
            }
        }
    }

    private static func linkName(_ group: hid_t, index: hsize_t, file: String, prefix: String) throws(HDF5Error) -> String {
        let length = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, sg_H5P_DEFAULT())
        guard length >= 0 else { throw failure(file, prefix.isEmpty ? "/" : prefix, "read link name") }
        var buffer = [CChar](repeating: 0, count: Int(length) + 1)
        guard H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, sg_H5P_DEFAULT()) >= 0 else {
            throw failure(file, prefix.isEmpty ? "/" : prefix, "read link name")
        }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The dimensions of a dataspace: [] for a scalar, nil for a null dataspace (no data).
    static func dims(_ space: hid_t, file: String, path: String) throws(HDF5Error) -> [Int]? {
        switch H5Sget_simple_extent_type(space) {
        case H5S_SCALAR: return []
        case H5S_NULL: return nil
        case H5S_SIMPLE:
            let rank = H5Sget_simple_extent_ndims(space)
            guard rank >= 0 else { throw failure(file, path, "read dataspace") }
            var raw = [hsize_t](repeating: 0, count: Int(rank))
            guard H5Sget_simple_extent_dims(space, &raw, nil) >= 0 else { throw failure(file, path, "read dataspace") }
            var dims: [Int] = []
            for d in raw {
                guard d <= hsize_t(Int.max) else {
                    throw .invalidArgument(file: file, path: path, reason: "dimension \(d) is too large")
                }
                dims.append(Int(d))
            }
            return dims
        default: throw failure(file, path, "read dataspace")
        }
    }
}
