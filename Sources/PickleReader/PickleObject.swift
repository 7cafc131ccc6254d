public import Tensors

/// An instance made by REDUCE / NEWOBJ / OBJ / INST / `copyreg._reconstructor`, kept inert.
///
/// - `.network`: `dnnlib.tflib.network.Network`; BUILD gives it `state` (its `__getstate__` dict).
/// - `.persistent`: `torch_utils.persistence._reconstruct_persistent_obj(meta)`; `args[0]` is
///   the meta dict (`class_name`, `module_src` kept as text, `state`).
/// - `.ndarray`: `numpy.core.multiarray._reconstruct(...)`, completed by BUILD into `tensor`.
/// - `.dtype`: `numpy.dtype(...)`, completed by BUILD (byte order).
/// - `.foreign`: made by a global outside the allowlist (or an allowlisted class used in a way
///   this reader does not interpret); never called, an error wherever data is needed.
/// - `.unsupported`: an allowlisted construct with content this reader cannot represent (e.g.
///   a NumPy array of dtype `complex64`); an error wherever data is needed.
public final class PickleObject: @unchecked Sendable {
    public enum Kind: Sendable, Equatable {
        case network, persistent, ndarray, dtype, foreign, unsupported
    }

    public internal(set) var kind: Kind
    /// The global that made this object (for an object made by calling another foreign object,
    /// the global that made that one).
    public let global: PickleGlobal
    /// Byte offset of the opcode that made it.
    public let offset: Int
    /// Constructor arguments (REDUCE/NEWOBJ args, NEWOBJ_EX kwargs as a trailing dict).
    public internal(set) var args: [PickleValue]
    /// The BUILD state, if any.
    public internal(set) var state: PickleValue?
    /// Items that APPEND(S) / SETITEM(S) added (list or dict subclasses of foreign classes).
    public internal(set) var listItems: [PickleValue] = []
    public internal(set) var dictItems: [PickleValue] = []  // key, value, key, value, ...
    private(set) var depth = 1
    /// The finished NumPy array (kind `.ndarray` after BUILD).
    public internal(set) var tensor: Tensor?
    /// Why the content cannot be used (kind `.unsupported`).
    public internal(set) var problem: String?
    var numpyDType: NumpyDType?

    init(_ kind: Kind, global: PickleGlobal, offset: Int, args: [PickleValue]) {
        self.kind = kind
        self.global = global
        self.offset = offset
        self.args = args
        note(args)
    }

    private func note(_ children: [PickleValue]) {
        depth = children.reduce(depth) { max($0, 1 + $1.nestingDepth) }
    }

    func setState(_ s: PickleValue) { state = s; note([s]) }
    func appendList(_ items: [PickleValue]) { listItems += items; note(items) }
    func appendDict(_ items: [PickleValue]) { dictItems += items; note(items) }

    deinit {
        _releaseIteratively(&args)
        _releaseIteratively(&listItems)
        _releaseIteratively(&dictItems)
        if var s = state { state = nil; s._releaseIteratively() }
    }

    /// For a persistent object, the meta dict (`type`, `version`, `module_src`, `class_name`, `state`).
    public var meta: PickleDict? {
        guard kind == .persistent, case .dict(let d)? = args.first else { return nil }
        return d
    }

    /// The class name the object claims: `class_name` from a persistent object's meta, else the
    /// qualified name of the global that made it.
    public var className: String {
        if let m = meta, case .string(let s)? = m["class_name"] { return s }
        return global.qualifiedName
    }

    /// The attribute dict: a persistent object's `meta["state"]`; otherwise the BUILD state when
    /// it is a dict, or the first element of a `(dict, slots)` state.
    public var attributes: PickleDict? {
        if kind == .persistent {
            if let m = meta, case .dict(let d)? = m["state"] { return d }
            return nil
        }
        switch state {
        case .dict(let d)?: return d
        case .tuple(let t)? where t.items.count == 2:
            if case .dict(let d) = t.items[0] { return d }
            return nil
        default: return nil
        }
    }

    var kindDescription: String {
        switch kind {
        case .network: "dnnlib.tflib.network.Network object"
        case .persistent: "persistent object \(PickleError.quote(className))"
        case .ndarray: tensor.map { "\($0.dtype) array \($0.shape)" } ?? "NumPy array without data (no BUILD)"
        case .dtype: "NumPy dtype"
        case .foreign:
            global.isAllowed
                ? "object made by an uninterpreted use of \(global) at byte \(offset)"
                : "object made by \(global) at byte \(offset) (global \(global) is not allowed, so it was never called)"
        case .unsupported: "unsupported value made by \(global) at byte \(offset): \(problem ?? "?")"
        }
    }
}
