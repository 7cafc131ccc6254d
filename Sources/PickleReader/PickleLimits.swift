/// Bounds checked before anything is allocated, so that a small hostile file cannot make the
/// reader allocate much more than its own size.
///
/// Beyond these bounds, every length read from the file is checked against the bytes that
/// remain before it is used, every opcode consumes at least one byte and creates at most one
/// node, so node memory grows at most linearly with the input (about 100 bytes of node per input
/// byte in the worst case, e.g. `}` + MEMOIZE repeated).
public struct PickleLimits: Sendable, Equatable {
    /// Values on the VM stack, all marks included. NVlabs pickles need a few dozen; only a huge
    /// tuple or a deliberately deep structure pushes more (lists and dicts are built in batches
    /// of 1000 by `pickle.dump`).
    public var maxStackDepth: Int = 100_000
    /// Containers nested in containers. CPython's pickler recurses and stops near 500 levels
    /// under the default recursion limit; NVlabs pickles nest about 20 deep. Bounding it keeps
    /// any recursive walk over the tree safe. (Release of a tree is iterative regardless, and a
    /// list mutated after it was nested, via the memo, may end up deeper than recorded.)
    public var maxNestingDepth: Int = 1000
    /// Open MARKs at once (nesting of tuples/lists/dicts being built).
    public var maxMarkDepth: Int = 10_000
    /// Memo entries. Each costs an opcode of input, so the input size bounds them anyway; CPython
    /// has no bound, NVlabs pickles use a few thousand, a 120 MB pickle of small objects 10^7.
    public var maxMemoEntries: Int = 1 << 28
    /// Bytes the reader itself allocates for decoded data: strings, integers beyond 64 bits,
    /// tensors that must be copied (byte-swapped, Fortran order, non-contiguous, strided), and
    /// containers copied by a call (`set(list)`, `OrderedDict(pairs)`, ...) or hashed as keys,
    /// at 32 bytes per element: a few input bytes can name one large memoized value many times.
    /// `nil` means "4 × the source size + 64 MiB": room to copy every tensor, and for key- or
    /// set-heavy pickles, while a 2 MB file can still make the reader allocate only ~70 MB.
    public var maxDecodedBytes: Int? = nil
    /// Bytes of one integer wider than 64 bits (LONG1, LONG4, protocol-0 text).
    public var maxIntegerBytes: Int = 1024
    /// Tensor rank (NumPy allows 64).
    public var maxRank: Int = 64
    /// Nodes visited to hash one dict key or set element (tuples of tuples...).
    public var maxKeyNodes: Int = 4096

    public init() {}

    public static let `default` = PickleLimits()
}
