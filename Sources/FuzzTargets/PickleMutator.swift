/// Structure-aware mutation of pickle streams: blind byte flips almost always break a length
/// prefix or a FRAME and die in the first checks, so this mutator disassembles the stream into
/// opcodes and edits whole opcodes, their arguments and their length prefixes, then repairs the
/// FRAME lengths (unless a FRAME was the target) and keeps the final STOP. Streams of several
/// pickles followed by raw bytes (the legacy torch stream) are disassembled up to the first byte
/// that does not parse; the rest is kept as it is. A bytes payload that is itself a pickle
/// stream (`_load_from_bytes` inside PyTorch-era NVlabs pickles) is mutated recursively.
public enum PickleMutator {
    /// How an opcode's argument is encoded (CPython `pickletools`).
    enum Argument: Equatable {
        case none
        case fixed(Int)  // little-endian integer or float of this many bytes
        case counted(Int)  // a little-endian length of this many bytes, then that many bytes
        case lines(Int)  // newline-terminated text lines
    }

    static func argument(_ op: UInt8) -> Argument? {
        switch op {
        case 0x28, 0x2E, 0x30, 0x31, 0x32, 0x4E, 0x88, 0x89, 0x61, 0x65, 0x6C, 0x5D, 0x64, 0x7D, 0x73, 0x75, 0x74, 0x29,
             0x85, 0x86, 0x87, 0x51, 0x52, 0x62, 0x81, 0x92, 0x6F, 0x93, 0x8F, 0x90, 0x91, 0x94, 0x97, 0x98:
            Argument.none
        case 0x4B, 0x71, 0x68, 0x80, 0x82: .fixed(1)  // BININT1 BINPUT BINGET PROTO EXT1
        case 0x4D, 0x83: .fixed(2)  // BININT2 EXT2
        case 0x4A, 0x72, 0x6A, 0x84: .fixed(4)  // BININT LONG_BINPUT LONG_BINGET EXT4
        case 0x47, 0x95: .fixed(8)  // BINFLOAT FRAME
        case 0x55, 0x43, 0x8C, 0x8A: .counted(1)  // SHORT_BINSTRING SHORT_BINBYTES SHORT_BINUNICODE LONG1
        case 0x54, 0x58, 0x42, 0x8B: .counted(4)  // BINSTRING BINUNICODE BINBYTES LONG4
        case 0x8D, 0x8E, 0x96: .counted(8)  // BINUNICODE8 BINBYTES8 BYTEARRAY8
        case 0x49, 0x4C, 0x46, 0x53, 0x56, 0x67, 0x70, 0x50: .lines(1)  // INT LONG FLOAT STRING UNICODE GET PUT PERSID
        case 0x63, 0x69: .lines(2)  // GLOBAL INST
        default: nil
        }
    }

    static let opcodes: [UInt8] = (0...255).compactMap { argument(UInt8($0)) == nil ? nil : UInt8($0) }
    static let names = ["torch._utils", "_rebuild_tensor_v2", "_rebuild_parameter", "collections", "OrderedDict",
                        "numpy.core.multiarray", "_reconstruct", "numpy", "ndarray", "dtype", "scalar", "torch",
                        "FloatStorage", "HalfStorage", "LongStorage", "_codecs", "encode", "latin1", "torch.storage",
                        "_load_from_bytes", "torch_utils.persistence", "_reconstruct_persistent_obj",
                        "dnnlib.tflib.network", "Network", "dnnlib.util", "EasyDict", "builtins", "set", "storage",
                        "cpu", "G_ema", "mapping", "synthesis", "f4", "<f4", "<f2", "little_endian", "version", "i8"]

    /// One opcode with its argument: `bytes[start..<end]`.
    struct Op { var start: Int; var end: Int; var code: UInt8 }

    /// The opcodes from the start up to the first one that does not parse.
    static func disassemble(_ b: [UInt8]) -> [Op] {
        var ops: [Op] = []
        var i = 0
        scan: while i < b.count, let arg = argument(b[i]) {
            var end = i + 1
            switch arg {
            case .none: break
            case .fixed(let n): end += n
            case .counted(let n):
                guard end + n <= b.count else { break scan }
                let length = b.readLE(at: end, width: n)
                guard length <= UInt64(b.count) else { break scan }
                end += n + Int(length)
            case .lines(let n):
                for _ in 0..<n {
                    guard let nl = b[min(end, b.count)...].firstIndex(of: 0x0A) else { break scan }
                    end = nl + 1
                }
            }
            guard end <= b.count else { break }
            ops.append(Op(start: i, end: end, code: b[i]))
            i = end
        }
        return ops
    }

    /// A fresh opcode of kind `code` with a plausible argument.
    static func make(_ code: UInt8, _ rng: inout FuzzRandom) -> [UInt8] {
        var out: [UInt8] = [code]
        let text = Array(names.randomElement(using: &rng)!.utf8)
        switch argument(code)! {
        case .none: break
        case .fixed(let n):
            var v = [UInt8](repeating: 0, count: n)
            v.putLE(UInt64(bitPattern: Int64(rng.interesting(near: Int.random(in: 0...8, using: &rng)))), at: 0, width: n)
            if code == 0x80 { v[0] = UInt8.random(in: 0...5, using: &rng) }
            out += v
        case .counted(let n):
            var length = [UInt8](repeating: 0, count: n)
            length.putLE(UInt64(text.count), at: 0, width: n)
            out += length + text
        case .lines(let n):
            for k in 0..<n {
                if code == 0x63 || code == 0x69 || code == 0x56 {
                    out += text
                } else if code == 0x53 {
                    out += Array("'\(k)'".utf8)
                } else {
                    out += Array(String(rng.interesting(near: 3)).utf8)
                }
                out.append(0x0A)
            }
        }
        return out
    }

    /// Mutates `bytes` in place (at most `maxSize` bytes); falls back to `blind` for inputs
    /// that are not pickles, and for a share of the others.
    public static func mutate(_ bytes: inout [UInt8], maxSize: Int, seed: UInt64, blind: BlindMutator) {
        var rng = FuzzRandom(seed: seed)
        mutate(&bytes, maxSize: maxSize, rng: &rng, blind: blind, depth: 0)
    }

    static func mutate(_ bytes: inout [UInt8], maxSize: Int, rng: inout FuzzRandom, blind: BlindMutator, depth: Int) {
        let ops = disassemble(bytes)
        guard ops.count >= 2, Int.random(in: 0..<10, using: &rng) > 0 else { return blind(&bytes, maxSize) }
        let tail = Array(bytes[ops.last!.end...])
        var pieces = ops.map { Array(bytes[$0.start..<$0.end]) }
        var repairFrames = true
        let k = Int.random(in: 0..<pieces.count, using: &rng)
        switch Int.random(in: 0..<9, using: &rng) {
        case 0:  // replace an opcode by another, with a fresh argument
            pieces[k] = make(opcodes.randomElement(using: &rng)!, &rng)
        case 1:  // insert a fresh opcode
            pieces.insert(make(opcodes.randomElement(using: &rng)!, &rng), at: k)
        case 2:  // delete one
            pieces.remove(at: k)
        case 3:  // copy one elsewhere (same memo index, same length prefix, a second STOP...)
            pieces.insert(pieces.randomElement(using: &rng)!, at: k)
        case 4:  // swap two
            pieces.swapAt(k, Int.random(in: 0..<pieces.count, using: &rng))
        case 5, 6:  // edit the argument's integer: a value, an index, a length prefix, a FRAME size
            let p = pieces[k]
            let width: Int
            switch argument(p[0])! {
            case .fixed(let n), .counted(let n): width = n
            case .lines: width = 0
            case .none: width = 0
            }
            if width > 0 {
                let old = Int(truncatingIfNeeded: pieces[k].readLE(at: 1, width: width))
                pieces[k].putLE(UInt64(bitPattern: Int64(rng.interesting(near: old))), at: 1, width: width)
                if p[0] == 0x95 { repairFrames = false }
            } else {
                blind(&pieces[k], max(pieces[k].count * 2, 16))
            }
        case 7:  // edit a payload and keep its length prefix right; nested pickles recursively
            guard case .counted(let n) = argument(pieces[k][0]) else {
                pieces[k] = make(pieces[k][0], &rng)
                break
            }
            var payload = Array(pieces[k][(1 + n)...])
            if depth < 2, payload.first == 0x80 {
                mutate(&payload, maxSize: maxSize, rng: &rng, blind: blind, depth: depth + 1)
            } else {
                blind(&payload, max(payload.count * 2, 16))
            }
            var length = [UInt8](repeating: 0, count: n)
            length.putLE(UInt64(payload.count), at: 0, width: n)
            pieces[k] = [pieces[k][0]] + length + payload
        default:  // blind bytes, framing repaired afterwards
            blind(&pieces[k], max(pieces[k].count * 2, 16))
        }
        var out = pieces.flatMap { $0 }
        if out.last != 0x2E, tail.isEmpty { out.append(0x2E) }
        out += tail
        if repairFrames { fixFrames(&out) }
        bytes = out.count <= maxSize ? out : Array(out[..<maxSize])
    }

    /// Sets every FRAME's length to the bytes up to the next FRAME or the end of its pickle.
    static func fixFrames(_ b: inout [UInt8]) {
        let ops = disassemble(b)
        for (i, op) in ops.enumerated() where op.code == 0x95 && op.end - op.start == 9 {
            var end = op.end
            for next in ops[(i + 1)...] {
                if next.code == 0x95 { break }
                end = next.end
                if next.code == 0x2E { break }
            }
            b.putLE(UInt64(end - op.end), at: op.start + 1, width: 8)
        }
    }
}
