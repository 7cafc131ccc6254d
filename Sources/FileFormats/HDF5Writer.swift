import ByteIO
internal import CHDF5
import Synchronization
public import Tensors

public enum HDF5StringEncoding: Sendable { case utf8, ascii }
public enum HDF5StringLayout: Sendable { case variableLength, fixedLength }

/// Builds an HDF5 file and writes it atomically: the file is assembled in memory (HDF5's core
/// driver, no backing store) and `commit()` hands the finished image to `AtomicFileWriter`, so
/// the destination is either untouched or complete, and a writer dropped without `commit()`
/// leaves nothing behind. The whole file is held in memory until then, which suits the
/// latents, W vectors and golden outputs this is used for.
public struct HDF5Writer: ~Copyable, Sendable {
    public let destination: String
    private let id: hid_t
    private var open = true
    private static let serial = Atomic<Int>(0)

    public init(destination: String) throws(HDF5Error) {
        self.destination = destination
        id = try _HDF5.locked { () throws(HDF5Error) -> hid_t in
            let access = H5Pcreate(sg_H5P_FILE_ACCESS())
            guard access >= 0 else { throw _HDF5.failure(destination, "/", "create") }
            defer { H5Pclose(access) }
            guard H5Pset_fapl_core(access, 1 << 20, false) >= 0 else { throw _HDF5.failure(destination, "/", "create") }
            // HDF5 refuses two open files of one name, so each in-memory file gets its own.
            let serial = HDF5Writer.serial.add(1, ordering: .relaxed).newValue
            let id = H5Fcreate("\(destination) (in memory \(serial))", sg_H5F_ACC_TRUNC(), sg_H5P_DEFAULT(), access)
            guard id >= 0 else { throw _HDF5.failure(destination, "/", "create") }
            return id
        }
    }

    deinit {
        if open {
            let id = self.id
            _HDF5.locked { _ = H5Fclose(id) }
        }
    }

    /// Writes `tensor` as a new dataset at `path` (e.g. `act/b4.conv1`), creating missing
    /// groups on the way. Every dtype but bool; f16 and bf16 are stored as 16-bit HDF5 floats.
    public func write(_ tensor: Tensor, to path: String) throws(HDF5Error) {
        let (id, file) = (self.id, destination)
        try _HDF5.locked { () throws(HDF5Error) in
            guard !_HDF5.components(path).isEmpty else {
                throw .invalidArgument(file: file, path: path, reason: "a dataset needs a name")
            }
            guard !_HDF5.exists(id, path) else { throw .alreadyExists(file: file, path: path) }
            try _HDF5.checkParents(id, file: file, path: path)
            guard let type = _HDF5.storageType(for: tensor.dtype) else {
                throw .unsupportedType(file: file, path: path, type: tensor.dtype.rawValue)
            }
            defer { H5Tclose(type) }
            let dims = tensor.shape.dims.map { hsize_t($0) }
            let space = dims.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, nil)
            guard space >= 0 else { throw _HDF5.failure(file, path, "create dataspace") }
            defer { H5Sclose(space) }
            let links = try _HDF5.intermediateGroupsList(file: file, path: path)
            defer { H5Pclose(links) }

            let dataset = H5Dcreate2(id, path, type, space, links, sg_H5P_DEFAULT(), sg_H5P_DEFAULT())
            guard dataset >= 0 else { throw _HDF5.failure(file, path, "create dataset") }
            defer { H5Dclose(dataset) }
            guard tensor.shape.count > 0 else { return }
            let status = tensor.withUnsafeBytes {
                H5Dwrite(dataset, type, sg_H5S_ALL(), sg_H5S_ALL(), sg_H5P_DEFAULT(), $0.baseAddress)
            }
            guard status >= 0 else { throw _HDF5.failure(file, path, "write") }
        }
    }

    /// Creates the group at `path` and any missing parents (a no-op if it already exists).
    public func createGroup(_ path: String) throws(HDF5Error) {
        let (id, file) = (self.id, destination)
        try _HDF5.locked { () throws(HDF5Error) in
            guard !_HDF5.components(path).isEmpty else { return }  // the root
            try _HDF5.checkParents(id, file: file, path: path)
            if let obj = try _HDF5.openObject(id, file, path) {
                defer { H5Oclose(obj) }
                guard H5Iget_type(obj) == H5I_GROUP else { throw .alreadyExists(file: file, path: path) }
                return
            }
            let links = try _HDF5.intermediateGroupsList(file: file, path: path)
            defer { H5Pclose(links) }
            let group = H5Gcreate2(id, path, links, sg_H5P_DEFAULT(), sg_H5P_DEFAULT())
            guard group >= 0 else { throw _HDF5.failure(file, path, "create group") }
            H5Gclose(group)
        }
    }

    /// Sets a scalar string attribute on the dataset or group at `object` (default: the root),
    /// replacing one of the same name.
    public func setAttribute(_ name: String, to value: String, on object: String = "/",
                             encoding: HDF5StringEncoding = .utf8, layout: HDF5StringLayout = .variableLength) throws(HDF5Error) {
        let (id, file) = (self.id, destination)
        try _HDF5.locked { () throws(HDF5Error) in
            guard let obj = try _HDF5.openObject(id, file, object) else { throw .noObject(file: file, path: object) }
            defer { H5Oclose(obj) }
            try _HDF5.writeStringAttribute(obj, name: name, value: value, encoding: encoding, layout: layout,
                                           file: file, object: object)
        }
    }

    /// Finishes the file and writes it to `destination` atomically.
    public consuming func commit() throws(HDF5Error) {
        let (id, file) = (self.id, destination)
        open = false
        let image = try _HDF5.locked { () throws(HDF5Error) -> [UInt8] in
            defer { H5Fclose(id) }
            guard H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0 else { throw _HDF5.failure(file, "/", "flush") }
            let size = H5Fget_file_image(id, nil, 0)
            guard size > 0 else { throw _HDF5.failure(file, "/", "get file image") }
            var bytes = [UInt8](repeating: 0, count: size)
            guard H5Fget_file_image(id, &bytes, size) == size else { throw _HDF5.failure(file, "/", "get file image") }
            return bytes
        }
        do { try AtomicFileWriter.write(image, to: file) } catch { throw .output(error) }
    }
}

extension _HDF5 {
    /// Fails unless every existing parent of `path` is a group (HDF5's own message for a
    /// dataset in the way is "message type not found").
    static func checkParents(_ loc: hid_t, file: String, path: String) throws(HDF5Error) {
        let parts = components(path).dropLast()
        for k in parts.indices {
            let parent = parts[...k].joined(separator: "/")
            guard let obj = try openObject(loc, file, parent) else { return }
            defer { H5Oclose(obj) }
            guard H5Iget_type(obj) == H5I_GROUP else {
                throw .invalidArgument(file: file, path: path, reason: "'\(parent)' is a dataset, not a group")
            }
        }
    }

    /// A link-creation property list that creates missing parent groups (`a/b` for `a/b/c`).
    static func intermediateGroupsList(file: String, path: String) throws(HDF5Error) -> hid_t {
        let list = H5Pcreate(sg_H5P_LINK_CREATE())
        guard list >= 0 else { throw failure(file, path, "create property list") }
        guard H5Pset_create_intermediate_group(list, 1) >= 0 else {
            H5Pclose(list)
            throw failure(file, path, "create property list")
        }
        return list
    }
}
