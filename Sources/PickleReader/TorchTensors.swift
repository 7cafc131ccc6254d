import Tensors

/// torch tensors and the storages inside NVlabs pickles.
extension PickleMachine {
    /// `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
    /// Contiguous tensors are views of the storage bytes; others are copied to C order.
    mutating func rebuildTensor(_ g: PickleGlobal, _ args: [PickleValue]) throws(PickleError) -> PickleValue {
        guard args.count == 6 || args.count == 7 else { throw fail("\(g) needs 6 or 7 arguments, got \(args.count)") }
        guard case .storage(let storage) = args[0] else {
            throw fail(args[0].isForeign ? .forbidden : .type, "\(g) needs a storage, got \(args[0].kindDescription)")
        }
        guard case .int(let offset) = args[1] else { throw fail("\(g) storage offset is a \(args[1].kindDescription)") }
        let dims = try intList(args[2], "tensor size")
        let strides = try intList(args[3], "tensor stride")
        guard let data = storage.data else {
            if context.storagesPending { context.skippedTensors += 1; return .none }
            throw fail("\(g) on storage \(PickleError.quote(storage.key)) which has no data")
        }
        let shape: Shape
        do { shape = try Shape(dims) } catch { throw self.fail("tensor size: \(error)") }
        guard strides.count == dims.count else { throw fail("tensor size \(dims) and stride \(strides) differ in rank") }
        guard offset >= 0, offset <= storage.elementCount else {
            throw fail("storage offset \(offset) is outside a storage of \(storage.elementCount) elements")
        }
        let dt = storage.dtype, size = dt.byteSize
        // Last element reached: offset + Σ (size_i - 1)·stride_i, overflow-checked.
        var contiguous = true, expected = 1
        var last = offset
        if shape.count > 0 {
            for i in dims.indices.reversed() {
                guard strides[i] >= 0 else { throw fail("negative stride \(strides) is not supported") }
                let (step, o1) = (dims[i] - 1).multipliedReportingOverflow(by: strides[i])
                let (sum, o2) = last.addingReportingOverflow(step)
                guard !o1, !o2 else { throw fail("tensor size \(dims) with stride \(strides) overflows") }
                last = sum
                if dims[i] != 1 {
                    if strides[i] != expected { contiguous = false }
                    expected &*= dims[i]
                }
            }
            guard last < storage.elementCount else {
                throw fail("tensor size \(dims), stride \(strides), offset \(offset) reach element \(last) of a storage of \(storage.elementCount)")
            }
        }
        let base = data.range.lowerBound + offset * size
        if contiguous { return .tensor(try tensor(dt, shape, data.storage, offset: base)) }
        try context.charge(shape.count * size, at: opOffset, "copy of a non-contiguous tensor")
        return .tensor(StridedCopy.tensor(dt, shape, from: data.storage, byteOffset: base, strides: strides, swapBytes: false))
    }

    /// `torch.storage._load_from_bytes(b)`: a legacy `torch.save` stream holding one storage.
    mutating func loadFromBytes(_ g: PickleGlobal, _ args: [PickleValue]) throws(PickleError) -> PickleValue {
        guard args.count == 1, case .bytes(let b) = args[0] else {
            throw fail(args.first?.isForeign == true ? .forbidden : .type, "\(g) needs one bytes argument, got \(describe(args))")
        }
        guard !context.insideTorchStream else { throw fail(.unsupported, "\(g) inside a torch stream") }
        let value = try TorchLegacy.load(b.storage, range: b.range, context: context)
        guard case .storage = value else { throw fail("\(g) stream holds a \(value.kindDescription), not a storage") }
        return value
    }
}
