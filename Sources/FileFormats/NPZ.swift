import ByteIO
public import Tensors

/// NumPy's .npz: a zip archive of .npy files (stored by `numpy.savez`, deflated by
/// `numpy.savez_compressed`), read through `ZipArchive`.
public enum NPZ {
    /// The arrays in archive order, named as NumPy names them (`x.npy` → `x`).
    public static func read(path: String) throws -> [(name: String, tensor: Tensor)] {
        try read(try FileBytes.map(path: path), name: path)
    }

    /// Stored members point into `source`; deflated ones are inflated into fresh storage.
    public static func read(_ source: SharedBytes, name: String) throws -> [(name: String, tensor: Tensor)] {
        let archive = try ZipArchive(source, name: name)
        var arrays: [(name: String, tensor: Tensor)] = []
        for entry in archive.entries {
            guard entry.name.hasSuffix(".npy"), entry.name.count > 4 else {
                throw NPYError(file: name, offset: entry.headerOffset, "entry '\(entry.name)' is not an .npy file")
            }
            let (storage, range) = try archive.contents(of: entry)
            let tensor = try NPY.read(storage, range: range, name: "\(name)[\(entry.name)]")
            arrays.append((String(entry.name.dropLast(4)), tensor))
        }
        return arrays
    }

    /// Writes `arrays` as an .npz of stored members (`name` → `name.npy`), as `numpy.savez`
    /// does, atomically.
    public static func write(_ arrays: [(name: String, tensor: Tensor)], to path: String) throws {
        var zip = ZipWriter(name: path)
        for (name, tensor) in arrays {
            try NPY.encode(tensor).withUnsafeBytes { raw in try zip.addStored(name: name + ".npy", raw) }
        }
        try AtomicFileWriter.write(zip.finish(), to: path)
    }
}
