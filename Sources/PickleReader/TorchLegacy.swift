import ByteIO
import Tensors

/// The legacy `torch.save` stream (`_use_new_zipfile_serialization=False`), which is what
/// `torch.storage._load_from_bytes` reads inside every PyTorch-era NVlabs pickle:
///
/// 1. pickle: the magic number 0x1950a86a20f9469cfc6c
/// 2. pickle: the protocol version, 1001
/// 3. pickle: sys_info `{'protocol_version', 'little_endian', 'type_sizes'}`; little-endian only
/// 4. pickle: the object, storages as BINPERSID `('storage', type, key, location, numel, view)`
/// 5. pickle: the list of storage keys
/// 6. per key, in that order: int64 element count, then the raw little-endian elements
///
/// Nothing may follow. Tensors built in step 4 need data from step 6, so when step 4 builds
/// any, it is run a second time once the storages are filled.
enum TorchLegacy {
    static let magic = "119547037146038801333356"  // 0x1950a86a20f9469cfc6c
    static let protocolVersion = 1001

    static func load(_ source: SharedBytes, range: Range<Int>, context: PickleContext) throws(PickleError) -> PickleValue {
        let wasInside = context.insideTorchStream
        context.insideTorchStream = true
        defer { context.insideTorchStream = wasInside }
        // Every pickle of the stream but the one returned is dropped here: dismantled if the
        // load may have built cycles (see `PickleMachine.releaseCycles`).
        var results: [PickleValue] = []
        var returned: PickleValue? = nil
        defer {
            if context.mayHaveCycles {
                PickleValue.dismantle(results, sparing: returned.map { PickleValue.containers(reachableFrom: [$0]) } ?? [])
            }
        }

        var (value, at) = try run(source, range.lowerBound..<range.upperBound, context, into: &results)
        guard case .bigInt(magic) = value else {
            throw PickleError(.malformed, offset: range.lowerBound, "not a legacy torch stream: magic number is \(value.kindDescription)")
        }
        let versionAt = at
        (value, at) = try run(source, at..<range.upperBound, context, into: &results)
        guard case .int(protocolVersion) = value else {
            throw PickleError(.unsupported, offset: versionAt, "torch stream protocol version is \(value.shortDescription), not \(protocolVersion)")
        }
        let infoAt = at
        (value, at) = try run(source, at..<range.upperBound, context, into: &results)
        guard case .dict(let info) = value else { throw PickleError(.malformed, offset: infoAt, "torch sys_info is a \(value.kindDescription)") }
        guard case .bool(true)? = info["little_endian"] else {
            throw PickleError(.unsupported, offset: infoAt, "torch stream is not little-endian (sys_info little_endian is \(info["little_endian"]?.shortDescription ?? "missing"))")
        }

        var storages: [String: TorchStorage] = [:]
        let persistentLoad: PickleMachine.PersistentLoad = { pid, offset throws(PickleError) in
            if case .tuple(let t) = pid, t.items.count == 4, case .string("module") = t.items[0] {
                return t.items[1]  // an nn.Module class with its source: kept as the inert global
            }
            let id = try StorageID(pid, at: offset)
            guard id.view.isNone else { throw PickleError(.unsupported, offset: offset, "legacy storage views are not supported") }
            if let s = storages[id.key] {
                guard s.dtype == id.dtype, s.elementCount == id.numel else {
                    throw PickleError(.malformed, offset: offset, "storage \(PickleError.quote(id.key)) declared twice with different types")
                }
                return .storage(s)
            }
            _ = try id.byteCount(at: offset)
            let s = TorchStorage(key: id.key, dtype: id.dtype, elementCount: id.numel, location: id.location)
            storages[id.key] = s
            return .storage(s)
        }

        // Step 4, first pass: storages are declared; tensors on them are skipped.
        let mainAt = at
        context.storagesPending = true
        context.skippedTensors = 0
        let firstPass: PickleValue
        do {
            (firstPass, at) = try run(source, mainAt..<range.upperBound, context, persistentLoad, into: &results)
        } catch {
            context.storagesPending = false
            throw error
        }
        context.storagesPending = false
        let skipped = context.skippedTensors
        let mainEnd = at

        let keysAt = at
        (value, at) = try run(source, at..<range.upperBound, context, into: &results)
        guard case .list(let keyList) = value else { throw PickleError(.malformed, offset: keysAt, "torch storage key list is a \(value.kindDescription)") }

        var reader: ByteReader
        do { reader = try ByteReader(source, range: at..<range.upperBound) } catch { throw PickleError(byteIO: error) }
        var seen = Set<String>()
        for k in keyList.items {
            guard case .string(let key) = k, let s = storages[key] else {
                throw PickleError(.malformed, offset: reader.offset, "storage key \(k.shortDescription) was not declared by the pickle")
            }
            guard seen.insert(key).inserted else { throw PickleError(.malformed, offset: reader.offset, "storage \(PickleError.quote(key)) is listed twice") }
            let countAt = reader.offset
            let count: Int64
            do { count = try reader.i64("storage element count") } catch { throw PickleError(byteIO: error) }
            guard count == Int64(s.elementCount) else {
                throw PickleError(.malformed, offset: countAt, "storage \(PickleError.quote(key)) has \(count) elements here but \(s.elementCount) in its id")
            }
            let bytes = try s.byteCount(at: countAt)
            do { s.data = PickleBytes(storage: source, range: try reader.range(bytes, "storage data")) } catch { throw PickleError(byteIO: error) }
        }
        if let missing = storages.keys.sorted().first(where: { !seen.contains($0) }) {
            throw PickleError(.malformed, offset: reader.offset, "storage \(PickleError.quote(missing)) has no data")
        }
        guard reader.isAtEnd else {
            throw PickleError(.malformed, offset: reader.offset, "\(reader.remaining) bytes follow the last storage of the torch stream")
        }
        if skipped == 0 {
            returned = firstPass
            return firstPass
        }
        // Second pass over step 4, now that the storages have their bytes.
        let (result, end) = try run(source, mainAt..<mainEnd, context, persistentLoad, into: &results)
        guard end == mainEnd else { throw PickleError(.malformed, offset: end, "torch stream changed between passes") }
        returned = result
        return result
    }

    /// Runs one pickle starting at `range.lowerBound`; returns it (also appended to `results`)
    /// and the offset after its STOP.
    static func run(_ source: SharedBytes, _ range: Range<Int>, _ context: PickleContext,
                    _ persistentLoad: PickleMachine.PersistentLoad? = nil,
                    into results: inout [PickleValue]) throws(PickleError) -> (PickleValue, Int) {
        var vm = try PickleMachine(source, range: range, context: context, persistentLoad: persistentLoad)
        let v = try vm.run()
        results.append(v)
        return (v, vm.input.offset)
    }
}

extension TorchStorage {
    /// Bytes of the storage, overflow-checked.
    func byteCount(at offset: Int) throws(PickleError) -> Int {
        let (n, o) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        guard !o else { throw PickleError(.malformed, offset: offset, "storage \(PickleError.quote(key)) of \(elementCount) elements overflows") }
        return n
    }
}
