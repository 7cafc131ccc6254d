import Tensors

/// NumPy arrays and scalars → tensors: `_reconstruct` + BUILD (protocols 0–4), `_frombuffer`
/// (protocol 5) and `scalar` (0-d values). Little-endian C-order data stays in the source bytes.
extension PickleMachine {
    /// `_reconstruct(numpy.ndarray, (0,), b'b')`: an empty array that BUILD fills.
    mutating func numpyReconstruct(_ g: PickleGlobal, _ args: [PickleValue]) throws(PickleError) -> PickleValue {
        guard args.count == 3, case .global(let subtype) = args[0] else {
            throw fail(args.first?.isForeign == true ? .forbidden : .malformed,
                        "\(g) needs (subtype, shape, typecode), got \(describe(args))")
        }
        guard subtype.known == .ndarray else { return unsupported(g, args, "array subtype \(subtype) is not supported") }
        return .object(PickleObject(.ndarray, global: g, offset: opOffset, args: args))
    }

    /// BUILD state `([version,] shape, dtype, is_fortran, rawdata)`.
    mutating func numpyArraySetState(_ o: PickleObject, _ state: PickleValue) throws(PickleError) {
        o.setState(state)
        guard case .tuple(let t) = state, t.items.count == 4 || t.items.count == 5 else {
            throw fail("NumPy array state is a \(state.kindDescription), not (version, shape, dtype, fortran, data)")
        }
        let items = t.items.suffix(4).map { $0 }
        let shape = try intList(items[0], "NumPy array shape")
        let dtype = try dtypeArgument(items[1], o.global)
        let fortran: Bool
        switch items[2] {
        case .bool(let b): fortran = b
        case .int(let i) where i == 0 || i == 1: fortran = i == 1
        default: throw fail("NumPy array fortran flag is a \(items[2].kindDescription)")
        }
        let data: PickleBytes
        switch items[3] {
        case .bytes(let b): data = b
        case .string(let s): data = try latin1Bytes(s)
        case .list: markUnsupported(o, "NumPy object arrays are not supported"); return
        default: throw fail("NumPy array data is a \(items[3].kindDescription)")
        }
        switch try makeArray(dtype, shape: shape, fortran: fortran, data: data) {
        case .success(let tensor): o.tensor = tensor
        case .failure(let p): markUnsupported(o, p.message)
        }
    }

    private func markUnsupported(_ o: PickleObject, _ problem: String) {
        o.kind = .unsupported
        o.problem = problem
    }

    /// `scalar(dtype, data)`: a 0-d tensor.
    mutating func numpyScalar(_ g: PickleGlobal, _ args: [PickleValue]) throws(PickleError) -> PickleValue {
        guard args.count == 2 else { throw fail("\(g) needs (dtype, data), got \(describe(args))") }
        let dtype = try dtypeArgument(args[0], g)
        let data: PickleBytes
        switch args[1] {
        case .bytes(let b): data = b
        case .string(let s): data = try latin1Bytes(s)
        default: return unsupported(g, args, "scalar data is a \(args[1].kindDescription) (object dtype?)")
        }
        switch try makeArray(dtype, shape: [], fortran: false, data: data) {
        case .success(let t): return .tensor(t)
        case .failure(let p): return unsupported(g, args, p.message)
        }
    }

    /// `_frombuffer(buffer, dtype, shape, order)` (protocol 5, in-band buffer).
    mutating func numpyFromBuffer(_ g: PickleGlobal, _ args: [PickleValue]) throws(PickleError) -> PickleValue {
        guard args.count == 4, case .bytes(let data) = args[0], case .string(let order) = args[3] else {
            throw fail(args.first?.isForeign == true ? .forbidden : .malformed,
                        "\(g) needs (buffer, dtype, shape, order), got \(describe(args))")
        }
        guard order == "C" || order == "F" else { throw fail("\(g) order \(PickleError.quote(order)) is not C or F") }
        let dtype = try dtypeArgument(args[1], g)
        let shape = try intList(args[2], "\(g) shape")
        switch try makeArray(dtype, shape: shape, fortran: order == "F", data: data) {
        case .success(let t): return .tensor(t)
        case .failure(let p): return unsupported(g, args, p.message)
        }
    }

    /// Latin-1 text (NumPy data in protocol 0–2 pickles written by Python 2) back to bytes.
    mutating func latin1Bytes(_ s: String) throws(PickleError) -> PickleBytes {
        try context.charge(s.unicodeScalars.count, at: opOffset, "latin1 array data")
        var out: [UInt8] = []
        out.reserveCapacity(s.unicodeScalars.count)
        for u in s.unicodeScalars {
            guard u.value < 256 else { throw fail("NumPy array data text is not latin-1") }
            out.append(UInt8(u.value))
        }
        return PickleBytes(copying: out)
    }

    /// A tuple or list of non-negative integers (a shape).
    func intList(_ v: PickleValue, _ what: String) throws(PickleError) -> [Int] {
        let items: [PickleValue]
        switch v {
        case .tuple(let t): items = t.items
        case .list(let l): items = l.items
        default: throw fail(v.isForeign ? .forbidden : .malformed, "\(what) is a \(v.kindDescription), not a tuple of integers")
        }
        guard items.count <= limits.maxRank else { throw fail(.limit, "\(what) has rank \(items.count) (PickleLimits.maxRank is \(limits.maxRank))") }
        var out: [Int] = []
        for item in items {
            guard case .int(let i) = item else { throw fail("\(what) holds a \(item.kindDescription), not an integer") }
            out.append(i)
        }
        return out
    }

    /// The tensor for `data` read as `dtype` with `shape`; a `.failure` names what this reader
    /// cannot represent (the array is then kept as an unsupported value), a throw is malformed data.
    mutating func makeArray(_ dtype: NumpyDType, shape dims: [Int], fortran: Bool, data: PickleBytes) throws(PickleError) -> Result<Tensor, PickleError> {
        if let p = dtype.problem { return .failure(fail(.unsupported, p)) }
        guard let dt = dtype.dtype else { return .failure(fail(.unsupported, "NumPy dtype without tensor type")) }
        let shape: Shape
        do { shape = try Shape(dims) } catch { throw self.fail("NumPy array shape: \(error)") }
        let needed: Int
        do { needed = try shape.byteCount(of: dt) } catch { throw self.fail("NumPy array shape: \(error)") }
        guard needed == data.count else {
            throw fail("NumPy array data has \(data.count) bytes; \(dt) \(shape) needs \(needed)")
        }
        let nontrivial = dims.filter { $0 != 1 }.count
        let reorder = fortran && nontrivial > 1
        if !reorder && !dtype.isBigEndian {
            return .success(try tensor(dt, shape, data.storage, offset: data.range.lowerBound))
        }
        try context.charge(needed, at: opOffset, "NumPy array copy")
        // Fortran order: element (i0, i1, ...) is at i0 + i1*d0 + i2*d0*d1 + ...
        var strides = shape.strides
        if reorder {
            var acc = 1
            for i in dims.indices { strides[i] = acc; acc &*= dims[i] }
        }
        return .success(StridedCopy.tensor(dt, shape, from: data.storage, byteOffset: data.range.lowerBound,
                                           strides: strides, swapBytes: dtype.isBigEndian))
    }

    func tensor(_ dt: DType, _ shape: Shape, _ storage: SharedBytes, offset: Int) throws(PickleError) -> Tensor {
        do { return try Tensor(dtype: dt, shape: shape, storage: storage, offset: offset) } catch { throw self.fail("\(error)") }
    }
}
