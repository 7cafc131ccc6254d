import Tensors

extension PickleMachine {
    /// Opcodes that name globals, call them, build objects, and the ones refused.
    mutating func stepObjects(_ op: UInt8) throws(PickleError) {
        switch op {
        // Globals, calls, objects
        case Opcode.global:
            let module = try textLine("GLOBAL module"), name = try textLine("GLOBAL name")
            try push(.global(makeGlobal(module: module, name: name)))
        case Opcode.stackGlobal:
            let name = try pop("STACK_GLOBAL"), module = try pop("STACK_GLOBAL")
            guard case .string(let n) = name, case .string(let m) = module else {
                throw fail("STACK_GLOBAL needs two strings, got \(module.kindDescription) and \(name.kindDescription)")
            }
            try push(.global(makeGlobal(module: m, name: n)))
        case Opcode.reduce:
            let args = try pop("REDUCE"), callee = try top("REDUCE")
            guard case .tuple(let t) = args else { throw fail("REDUCE arguments are a \(args.kindDescription), not a tuple") }
            replaceTop(try call(callee, t.items, "REDUCE"))
        case Opcode.newObj:
            let args = try pop("NEWOBJ"), cls = try top("NEWOBJ")
            guard case .tuple(let t) = args else { throw fail("NEWOBJ arguments are a \(args.kindDescription), not a tuple") }
            replaceTop(try call(cls, t.items, "NEWOBJ"))
        case Opcode.newObjEx:
            let kwargs = try pop("NEWOBJ_EX"), args = try pop("NEWOBJ_EX"), cls = try top("NEWOBJ_EX")
            guard case .tuple(let t) = args, case .dict = kwargs else {
                throw fail("NEWOBJ_EX needs a tuple and a dict, got \(args.kindDescription) and \(kwargs.kindDescription)")
            }
            replaceTop(try call(cls, t.items, "NEWOBJ_EX", kwargs: kwargs))
        case Opcode.inst:
            let module = try textLine("INST module"), name = try textLine("INST name")
            let args = try popMark("INST")
            try push(try call(.global(makeGlobal(module: module, name: name)), args, "INST"))
        case Opcode.obj:
            var args = try popMark("OBJ")
            guard !args.isEmpty else { throw fail("OBJ without a class") }
            let cls = args.removeFirst()
            try push(try call(cls, args, "OBJ"))
        case Opcode.build:
            let state = try pop("BUILD"), target = try top("BUILD")
            noteMutation(target)  // before: BUILD may keep the state and then throw
            try build(target, state: state)
            try checkDepth(target)
        case Opcode.persID:
            let pid = try textLine("PERSID id")
            try push(try persistent(.string(pid)))
        case Opcode.binPersID:
            let pid = try pop("BINPERSID")
            try push(try persistent(pid))

        // Deliberately unsupported
        case Opcode.ext1, Opcode.ext2, Opcode.ext4:
            throw fail(.unsupported, "EXT opcodes (copyreg extension registry codes) are not supported")
        case Opcode.nextBuffer, Opcode.readonlyBuffer:
            throw fail(.unsupported, "out-of-band buffers (NEXT_BUFFER/READONLY_BUFFER) are not supported")
        default:
            throw fail("unknown opcode 0x\(String(op, radix: 16))")
        }
    }

    mutating func persistent(_ pid: PickleValue) throws(PickleError) -> PickleValue {
        guard let load = persistentLoad else {
            throw fail(.unsupported, "persistent id (\(pid.kindDescription)) in a pickle that defines none")
        }
        return try load(pid, opOffset)
    }

    func makeGlobal(module: String, name: String) -> PickleGlobal {
        PickleGlobal(module: proto < 3 ? KnownGlobal.python3Module(module) : module, name: name)
    }
}
