import Tensors

extension PickleMachine {
    /// Executes one opcode (STOP is handled by `run`).
    mutating func step(_ op: UInt8) throws(PickleError) {
        switch op {
        // Stack and memo
        case Opcode.mark:
            guard marks.count < limits.maxMarkDepth else {
                throw fail(.limit, "more than \(limits.maxMarkDepth) open MARKs (PickleLimits.maxMarkDepth)")
            }
            marks.append(stack.count)
        case Opcode.pop:
            // As CPython: POP on an empty mark level removes the mark itself.
            if levelCount == 0, let m = marks.last, m == stack.count { marks.removeLast() } else { _ = try pop("POP") }
        case Opcode.popMark: _ = try popMark("POP_MARK")
        case Opcode.dup: try pushShared(try top("DUP"))
        case Opcode.memoize: try memoize(memoCount)
        case Opcode.put: try memoize(try textIndex("PUT"))
        case Opcode.binPut: try memoize(Int(try input.byte("BINPUT index")))
        case Opcode.longBinPut: try memoize(Int(try input.u32("LONG_BINPUT index")))
        case Opcode.get: try pushShared(try memoGet(try textIndex("GET")))
        case Opcode.binGet: try pushShared(try memoGet(Int(try input.byte("BINGET index"))))
        case Opcode.longBinGet: try pushShared(try memoGet(Int(try input.u32("LONG_BINGET index"))))
        case Opcode.proto:
            let p = try input.byte("protocol number")
            guard p <= 5 else { throw fail(.unsupported, "pickle protocol \(p) (this reader knows 0-5)") }
            proto = Int(p)
        case Opcode.frame: try input.beginFrame(try input.u64("FRAME length"), at: opOffset)
        case Opcode.stop: throw fail("STOP inside step")  // handled by run()

        // Numbers and constants
        case Opcode.none: try push(.none)
        case Opcode.newTrue: try push(.bool(true))
        case Opcode.newFalse: try push(.bool(false))
        case Opcode.binInt: try push(.int(Int(try input.i32("BININT"))))
        case Opcode.binInt1: try push(.int(Int(try input.byte("BININT1"))))
        case Opcode.binInt2: try push(.int(Int(try input.u16("BININT2"))))
        case Opcode.int: try push(try textInt())
        case Opcode.long: try push(try textLong())
        case Opcode.long1:
            let n = Int(try input.byte("LONG1 length"))
            try push(try binaryLong(count: n))
        case Opcode.long4:
            let raw = try input.i32("LONG4 length")
            guard raw >= 0 else { throw fail("LONG4 with negative length \(raw)") }
            try push(try binaryLong(count: try input.length(UInt64(raw), at: opOffset, "LONG4")))
        case Opcode.float: try push(try textFloat())
        case Opcode.binFloat: try push(.float(try input.f64BigEndian("BINFLOAT")))

        // Strings and bytes
        case Opcode.string: try push(try textString())
        case Opcode.binString:
            let raw = try input.i32("BINSTRING length")
            guard raw >= 0 else { throw fail("BINSTRING with negative length \(raw)") }
            try push(try latin1(count: try input.length(UInt64(raw), at: opOffset, "BINSTRING"), "BINSTRING"))
        case Opcode.shortBinString:
            try push(try latin1(count: Int(try input.byte("SHORT_BINSTRING length")), "SHORT_BINSTRING"))
        case Opcode.unicode: try push(try textUnicode())
        case Opcode.shortBinUnicode: try push(try utf8(count: Int(try input.byte("SHORT_BINUNICODE length")), "SHORT_BINUNICODE"))
        case Opcode.binUnicode: try push(try utf8(count: try input.length(UInt64(try input.u32("BINUNICODE length")), at: opOffset, "BINUNICODE"), "BINUNICODE"))
        case Opcode.binUnicode8: try push(try utf8(count: try input.length(try input.u64("BINUNICODE8 length"), at: opOffset, "BINUNICODE8"), "BINUNICODE8"))
        case Opcode.shortBinBytes: try push(try bytes(count: Int(try input.byte("SHORT_BINBYTES length")), "SHORT_BINBYTES"))
        case Opcode.binBytes: try push(try bytes(count: try input.length(UInt64(try input.u32("BINBYTES length")), at: opOffset, "BINBYTES"), "BINBYTES"))
        case Opcode.binBytes8: try push(try bytes(count: try input.length(try input.u64("BINBYTES8 length"), at: opOffset, "BINBYTES8"), "BINBYTES8"))
        case Opcode.byteArray8:
            let n = try input.length(try input.u64("BYTEARRAY8 length"), at: opOffset, "BYTEARRAY8")
            try push(.bytes(PickleBytes(storage: source, range: try input.range(n, "BYTEARRAY8 data"), isByteArray: true)))

        // Containers
        case Opcode.emptyTuple: try push(.tuple(PickleTuple([], offset: opOffset)))
        case Opcode.tuple1: let a = try pop("TUPLE1"); try push(.tuple(PickleTuple([a], offset: opOffset)))
        case Opcode.tuple2:
            guard levelCount >= 2 else { throw fail("stack underflow in TUPLE2") }
            let items = Array(stack.suffix(2)); stack.removeLast(2)
            try push(.tuple(PickleTuple(items, offset: opOffset)))
        case Opcode.tuple3:
            guard levelCount >= 3 else { throw fail("stack underflow in TUPLE3") }
            let items = Array(stack.suffix(3)); stack.removeLast(3)
            try push(.tuple(PickleTuple(items, offset: opOffset)))
        case Opcode.tuple: try push(.tuple(PickleTuple(try popMark("TUPLE"), offset: opOffset)))
        case Opcode.emptyList: try push(.list(PickleList(offset: opOffset)))
        case Opcode.list: try push(.list(PickleList(try popMark("LIST"), offset: opOffset)))
        case Opcode.emptyDict: try push(.dict(PickleDict(offset: opOffset)))
        case Opcode.dict:
            let items = try popMark("DICT")
            let d = PickleDict(offset: opOffset)
            try setItems(items, into: .dict(d), "DICT")
            try push(.dict(d))
        case Opcode.emptySet: try push(.set(PickleSet(frozen: false, offset: opOffset)))
        case Opcode.frozenSet:
            let s = PickleSet(frozen: true, offset: opOffset)
            for v in try popMark("FROZENSET") { s.insert(v, key: try key(v)) }
            try push(.set(s))
        case Opcode.append:
            let v = try pop("APPEND")
            try append([v], to: try top("APPEND"), "APPEND")
        case Opcode.appends:
            let items = try popMark("APPENDS")
            try append(items, to: try top("APPENDS"), "APPENDS")
        case Opcode.setItem:
            let v = try pop("SETITEM"), k = try pop("SETITEM")
            try setItems([k, v], into: try top("SETITEM"), "SETITEM")
        case Opcode.setItems:
            let items = try popMark("SETITEMS")
            try setItems(items, into: try top("SETITEMS"), "SETITEMS")
        case Opcode.addItems:
            let items = try popMark("ADDITEMS")
            guard case .set(let s) = try top("ADDITEMS"), !s.isFrozen else {
                throw fail("ADDITEMS on a \(try top("ADDITEMS").kindDescription), not a set")
            }
            noteMutation(.set(s))
            for v in items { s.insert(v, key: try key(v)) }
            try checkDepth(.set(s))

        default:
            try stepObjects(op)
        }
    }

    /// The next `count` bytes as zero-copy `bytes`.
    mutating func bytes(count: Int, _ what: String) throws(PickleError) -> PickleValue {
        .bytes(PickleBytes(storage: source, range: try input.range(count, what + " data")))
    }
}
