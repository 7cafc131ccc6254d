import ByteIO
import Tensors

/// Entry points: read a pickle (e.g. an NVlabs network pickle) without executing anything.
///
/// What is accepted (CPython `pickletools` is the reference for opcodes and encodings):
/// - every opcode of protocols 0–5, except EXT1/EXT2/EXT4 (extension registry) and
///   NEXT_BUFFER/READONLY_BUFFER (out-of-band buffers), which are refused;
/// - FRAMEs as CPython reads them: a read may not cross a frame's end, a FRAME may only start
///   where the previous one ended, and a length is checked against the bytes that remain;
/// - exactly one pickle: bytes after STOP, or values left on the stack at STOP, are errors;
/// - globals: the allowlist in `KnownGlobal.swift` has behaviour (NumPy arrays, torch tensors
///   and storages, OrderedDict/EasyDict, sets, `_codecs.encode`, NVlabs `Network` and
///   persistent objects); any other global is an inert foreign value, and calling or building
///   it records an inert foreign object. Nothing is ever executed or imported.
/// - bounds: `PickleLimits`.
public enum Pickle {
    /// Parses `range` of `source` (all of it by default) as exactly one pickle: bytes after its
    /// STOP are an error. Bytes values and contiguous little-endian tensors point into `source`.
    public static func load(_ source: SharedBytes, range: Range<Int>? = nil, limits: PickleLimits = .default) throws(PickleError) -> PickleValue {
        let r = range ?? 0..<source.count
        let context = PickleContext(limits: limits, sourceSize: r.count)
        var vm = try PickleMachine(source, range: r, context: context)
        let value = try vm.run()
        guard vm.input.offset == r.upperBound else {
            if context.mayHaveCycles { value.dismantle() }
            throw PickleError(.malformed, offset: vm.input.offset, "\(r.upperBound - vm.input.offset) bytes follow STOP")
        }
        return value
    }

    /// Memory-maps the file at `path` and parses it; tensors keep the mapping alive.
    public static func load(path: String, limits: PickleLimits = .default) throws(PickleError) -> PickleValue {
        try load(try mapFile(path), limits: limits)
    }

    static func mapFile(_ path: String) throws(PickleError) -> SharedBytes {
        do { return try FileBytes.map(path: path) } catch { throw PickleError(.file, offset: nil, "\(error)") }
    }
}
