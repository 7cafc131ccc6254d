import Tensors

/// A NumPy dtype as pickled: `numpy.dtype('f4', False, True)` then BUILD `(3, '<', ...)`.
struct NumpyDType: Equatable {
    /// The type string without byte order, e.g. "f4", "u1", "c8".
    var code: String
    var dtype: DType?
    var itemSize: Int
    /// '<', '>', '|' or '=' (as written by the pickling machine, i.e. little-endian).
    var byteOrder: Character = "<"
    /// Why this dtype cannot become a tensor, if it cannot.
    var problem: String?

    init(code: String) {
        self.code = code
        let kind = code.first ?? "?"
        let size = Int(code.dropFirst()) ?? 0
        itemSize = size
        switch (kind, size) {
        case ("f", 2): dtype = .f16
        case ("f", 4): dtype = .f32
        case ("f", 8): dtype = .f64
        case ("i", 1): dtype = .i8
        case ("i", 2): dtype = .i16
        case ("i", 4): dtype = .i32
        case ("i", 8): dtype = .i64
        case ("u", 1): dtype = .u8
        case ("b", 1): dtype = .bool
        default:
            dtype = nil
            problem = "NumPy dtype \(PickleError.quote(code)) has no tensor type here"
        }
        if itemSize == 1 { byteOrder = "|" }
    }

    var isBigEndian: Bool { byteOrder == ">" && itemSize > 1 }
}

extension PickleMachine {
    /// `numpy.dtype(code, align, copy)`.
    mutating func numpyDType(_ g: PickleGlobal, _ args: [PickleValue]) throws(PickleError) -> PickleValue {
        guard let first = args.first, case .string(let code) = first, code.utf8.count <= 64 else {
            return unsupported(g, args, "dtype argument is not a short type string")
        }
        let o = PickleObject(.dtype, global: g, offset: opOffset, args: args)
        o.numpyDType = NumpyDType(code: code)
        return .object(o)
    }

    /// BUILD state `(version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])`.
    mutating func numpyDTypeSetState(_ o: PickleObject, _ state: PickleValue) throws(PickleError) {
        o.setState(state)
        guard case .tuple(let t) = state, t.items.count >= 2, case .string(let order) = t.items[1],
              let c = order.first, order.count == 1, "<>|=".contains(c)
        else { throw fail("NumPy dtype state is a \(state.kindDescription), not (version, byteorder, ...)") }
        o.numpyDType?.byteOrder = c
        if t.items.count >= 4, !t.items[2].isNone || !t.items[3].isNone {
            o.numpyDType?.problem = "structured or subarray NumPy dtypes are not supported"
        }
    }

    /// The dtype argument of a NumPy constructor.
    func dtypeArgument(_ v: PickleValue, _ g: PickleGlobal) throws(PickleError) -> NumpyDType {
        guard case .object(let o) = v, o.kind == .dtype, let d = o.numpyDType else {
            throw fail(v.isForeign ? .forbidden : .type, "\(g) needs a NumPy dtype, got \(v.kindDescription)")
        }
        return d
    }
}

extension PickleValue {
    var isNone: Bool { if case .none = self { true } else { false } }
}
