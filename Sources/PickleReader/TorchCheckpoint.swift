import ByteIO
public import Tensors

/// `torch.save` files (`.pt`, `.pth`):
///
/// - the zip format (torch ≥ 1.6): `<prefix>/data.pkl` is a pickle whose storages are BINPERSID
///   `('storage', storage_type, key, location, numel)`, stored in `<prefix>/data/<key>`;
///   `<prefix>/byteorder` ("little", absent in older files) and `<prefix>/version` or
///   `<prefix>/.data/version` are metadata. Stored entries stay in the file (no copy).
/// - the legacy stream (`_use_new_zipfile_serialization=False`, torch < 1.6): see `TorchLegacy`.
///
/// The old tar format (torch < 0.4) is not supported.
public enum TorchCheckpoint {
    public static func load(path: String, limits: PickleLimits = .default) throws(PickleError) -> PickleValue {
        try load(try Pickle.mapFile(path), name: path, limits: limits)
    }

    public static func load(_ source: SharedBytes, name: String, limits: PickleLimits = .default) throws(PickleError) -> PickleValue {
        let head = source.copyBytes(0..<min(source.count, 4))
        if head == [0x50, 0x4B, 0x03, 0x04] { return try loadZip(source, name: name, limits: limits) }
        if head.count >= 2, head[0] == 0x80 {
            return try TorchLegacy.load(source, range: 0..<source.count, context: PickleContext(limits: limits, sourceSize: source.count))
        }
        if source.count > 262, source.copyBytes(257..<262) == Array("ustar".utf8) {
            throw PickleError(.unsupported, offset: 0, "\(name): the tar format of torch < 0.4 is not supported")
        }
        throw PickleError(.malformed, offset: 0, "\(name): neither a torch zip archive nor a legacy torch stream")
    }

    static func loadZip(_ source: SharedBytes, name: String, limits: PickleLimits) throws(PickleError) -> PickleValue {
        let zip: ZipArchive
        do { zip = try ZipArchive(source, name: name) } catch { throw PickleError(zipError: error) }
        let pickles = zip.entries.filter { e in
            e.name.hasSuffix("/data.pkl") && e.name.dropLast("/data.pkl".count).firstIndex(of: "/") == nil
        }
        guard pickles.count == 1, let pkl = pickles.first else {
            throw PickleError(.malformed, offset: 0, "\(name): \(pickles.count) '<prefix>/data.pkl' entries, expected 1")
        }
        let prefix = String(pkl.name.dropLast("data.pkl".count))
        if let e = zip.entry(named: prefix + "byteorder") {
            let (s, r) = try contents(zip, e)
            let order = String(decoding: s.copyBytes(r.lowerBound..<min(r.upperBound, r.lowerBound + 16)), as: UTF8.self)
            guard order == "little" else {
                throw PickleError(.unsupported, offset: e.dataRange.lowerBound, "\(name): byteorder is \(PickleError.quote(order)), only little-endian is supported")
            }
        }
        let context = PickleContext(limits: limits, sourceSize: source.count)
        var storages: [String: TorchStorage] = [:]
        let persistentLoad: PickleMachine.PersistentLoad = { pid, offset throws(PickleError) in
            let id = try StorageID(pid, at: offset)
            if let s = storages[id.key] {
                guard s.dtype == id.dtype, s.elementCount == id.numel else {
                    throw PickleError(.malformed, offset: offset, "storage \(PickleError.quote(id.key)) used with different types")
                }
                return .storage(s)
            }
            let bytes = try id.byteCount(at: offset)
            guard let entry = zip.entry(named: prefix + "data/" + id.key) else {
                throw PickleError(.malformed, offset: offset, "\(name): storage \(PickleError.quote(id.key)) has no entry \(prefix)data/\(id.key)")
            }
            let (s, r) = try contents(zip, entry)
            guard r.count == bytes else {
                throw PickleError(.malformed, offset: offset, "storage \(PickleError.quote(id.key)) declares \(id.numel) \(id.dtype) elements (\(bytes) bytes) but its entry holds \(r.count)")
            }
            let storage = TorchStorage(key: id.key, dtype: id.dtype, elementCount: id.numel, location: id.location,
                                       data: PickleBytes(storage: s, range: r))
            storages[id.key] = storage
            return .storage(storage)
        }
        let (s, r) = try contents(zip, pkl)
        var vm = try PickleMachine(s, range: r, context: context, persistentLoad: persistentLoad)
        let value = try vm.run()
        guard vm.input.offset == r.upperBound else {
            if context.mayHaveCycles { value.dismantle() }
            throw PickleError(.malformed, offset: vm.input.offset, "\(r.upperBound - vm.input.offset) bytes follow STOP in \(pkl.name)")
        }
        return value
    }

    private static func contents(_ zip: ZipArchive, _ e: ZipEntry) throws(PickleError) -> (SharedBytes, Range<Int>) {
        do { return try zip.contents(of: e) } catch { throw PickleError(zipError: error) }
    }
}

extension PickleError {
    init(zipError e: ZipError) {
        self.init(.file, offset: e.offset, e.description)
    }
}
