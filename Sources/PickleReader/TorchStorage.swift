public import Tensors

/// A torch storage: `elementCount` elements of `dtype`, whose bytes are a range of the file
/// (legacy streams and stored zip entries) or of a decompressed zip entry.
public final class TorchStorage: @unchecked Sendable {
    public let key: String
    public let dtype: DType
    public let elementCount: Int
    /// Device the storage was saved from ("cpu", "cuda:0"); the bytes are the same.
    public let location: String
    /// Nil only while a legacy stream is being read (its data follows the pickle).
    public internal(set) var data: PickleBytes?

    init(key: String, dtype: DType, elementCount: Int, location: String, data: PickleBytes? = nil) {
        self.key = key
        self.dtype = dtype
        self.elementCount = elementCount
        self.location = location
        self.data = data
    }
}

/// The persistent id both torch formats use for storages:
/// `('storage', storage_type, key, location, numel[, view_metadata])`.
struct StorageID {
    let dtype: DType
    let key: String
    let location: String
    let numel: Int
    let view: PickleValue

    init(_ pid: PickleValue, at offset: Int) throws(PickleError) {
        guard case .tuple(let t) = pid, t.items.count == 5 || t.items.count == 6,
              case .string("storage") = t.items[0] else {
            throw PickleError(.malformed, offset: offset, "persistent id is a \(pid.kindDescription), not ('storage', type, key, location, numel)")
        }
        guard case .global(let g) = t.items[1], case .storageClass(let dtype)? = g.known else {
            throw PickleError(t.items[1].isForeign ? .forbidden : .malformed, offset: offset,
                              "storage type is \(t.items[1].kindDescription), not a torch storage class")
        }
        guard case .string(let key) = t.items[2], case .string(let location) = t.items[3],
              case .int(let numel) = t.items[4], numel >= 0 else {
            throw PickleError(.malformed, offset: offset, "storage id fields are (" + t.items.map(\.kindDescription).joined(separator: ", ") + ")")
        }
        self.dtype = dtype
        self.key = key
        self.location = location
        self.numel = numel
        self.view = t.items.count == 6 ? t.items[5] : .none
    }

    /// Bytes of the storage, overflow-checked.
    func byteCount(at offset: Int) throws(PickleError) -> Int {
        let (n, o) = numel.multipliedReportingOverflow(by: dtype.byteSize)
        guard !o else { throw PickleError(.malformed, offset: offset, "storage \(PickleError.quote(key)) of \(numel) elements overflows") }
        return n
    }
}
