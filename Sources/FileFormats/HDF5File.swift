#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
internal import CHDF5
public import Tensors

/// An HDF5 file open read-only: lists its datasets, reads them as tensors, reads string
/// attributes. Closed when the value goes away.
///
/// Paths are HDF5 object paths such as `z` or `act/b4.conv1`; a leading "/" is allowed, and
/// "/" (or "") is the file root.
public struct HDF5File: ~Copyable, Sendable {
    /// The path the file was opened with; errors name it.
    public let path: String
    private let id: hid_t

    public init(path: String) throws(HDF5Error) {
        self.path = path
        id = try _HDF5.locked { () throws(HDF5Error) -> hid_t in
            // Checked first so the common mistakes get plain messages, not HDF5's stack.
            var st = stat()
            guard stat(path, &st) == 0 else { throw .cannotOpen(file: path, reason: String(cString: strerror(errno))) }
            guard (st.st_mode & S_IFMT) == S_IFREG else { throw .cannotOpen(file: path, reason: "not a regular file") }
            let isHDF5 = H5Fis_hdf5(path)
            guard isHDF5 >= 0 else { throw _HDF5.failure(path, "/", "open") }
            guard isHDF5 > 0 else { throw .notHDF5(file: path) }
            let id = H5Fopen(path, sg_H5F_ACC_RDONLY(), sg_H5P_DEFAULT())
            guard id >= 0 else { throw _HDF5.failure(path, "/", "open") }
            return id
        }
    }

    deinit {
        let id = self.id
        _HDF5.locked { _ = H5Fclose(id) }
    }

    /// Paths of every dataset reachable through hard links, depth first in name order.
    public func datasetPaths() throws(HDF5Error) -> [String] {
        let (id, file) = (self.id, path)
        return try _HDF5.locked { () throws(HDF5Error) -> [String] in
            var out: [String] = []
            try _HDF5.collectDatasets(id, file: file, prefix: "", depth: 0, into: &out)
            return out
        }
    }

    /// Whether a dataset exists at `dataset`.
    public func contains(_ dataset: String) -> Bool {
        let (id, file) = (self.id, path)
        return _HDF5.locked { () -> Bool in
            guard let obj = try? _HDF5.openObject(id, file, dataset) else { return false }
            defer { H5Oclose(obj) }
            return H5Iget_type(obj) == H5I_DATASET
        }
    }

    /// Reads a float or integer dataset of any rank (zero-size dimensions and rank 0 included).
    public func read(_ dataset: String) throws(HDF5Error) -> Tensor {
        let (id, file) = (self.id, path)
        return try _HDF5.locked { () throws(HDF5Error) -> Tensor in
            guard let obj = try _HDF5.openObject(id, file, dataset) else { throw .noDataset(file: file, path: dataset) }
            defer { H5Oclose(obj) }
            guard H5Iget_type(obj) == H5I_DATASET else { throw .notADataset(file: file, path: dataset) }

            let fileType = H5Dget_type(obj)
            guard fileType >= 0 else { throw _HDF5.failure(file, dataset, "read type") }
            defer { H5Tclose(fileType) }
            let (dtype, memoryType) = try _HDF5.readType(for: fileType, file: file, path: dataset)
            defer { H5Tclose(memoryType) }

            let space = H5Dget_space(obj)
            guard space >= 0 else { throw _HDF5.failure(file, dataset, "read dataspace") }
            defer { H5Sclose(space) }
            guard let dims = try _HDF5.dims(space, file: file, path: dataset) else {
                throw .unsupportedType(file: file, path: dataset, type: "null dataspace (no data)")
            }

            var tensor: Tensor
            do { tensor = try Tensor(zeros: dtype, shape: Shape(dims)) } catch {
                throw .invalidArgument(file: file, path: dataset, reason: "\(error)")
            }
            // HDF5 rejects reads into no buffer; nothing to read anyway.
            guard tensor.shape.count > 0 else { return tensor }
            let status = tensor.withUnsafeMutableBytes {
                H5Dread(obj, memoryType, sg_H5S_ALL(), sg_H5S_ALL(), sg_H5P_DEFAULT(), $0.baseAddress)
            }
            guard status >= 0 else { throw _HDF5.failure(file, dataset, "read") }
            return tensor
        }
    }

    /// Reads every dataset, keyed by path.
    public func readAll() throws(HDF5Error) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for p in try datasetPaths() { out[p] = try read(p) }
        return out
    }

    /// A string attribute (fixed- or variable-length, ASCII or UTF-8) of the dataset or group
    /// at `object`; the default is the file root.
    public func stringAttribute(_ name: String, of object: String = "/") throws(HDF5Error) -> String {
        let (id, file) = (self.id, path)
        return try _HDF5.locked { () throws(HDF5Error) -> String in
            guard let obj = try _HDF5.openObject(id, file, object) else { throw .noObject(file: file, path: object) }
            defer { H5Oclose(obj) }
            return try _HDF5.readStringAttribute(obj, name: name, file: file, object: object)
        }
    }
}
