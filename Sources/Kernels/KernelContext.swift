internal import CKernels

/// Instruction-set path of the fast kernels. The packed weight formats are the same on every
/// path, so weights packed once serve any context.
public enum KernelISA: Sendable, Hashable, CustomStringConvertible {
    /// Plain C compiled for the platform baseline (SSE2 on x86-64, NEON on arm64).
    case portable
    /// x86-64 AVX2 + FMA: 6×16 register-blocked micro-kernel, 8-wide vectorised loops.
    case avx2FMA

    /// The best path this CPU supports (checked once per process).
    public static var host: KernelISA { ck_host_isa() == Int32(CK_ISA_AVX2_FMA) ? .avx2FMA : .portable }

    public var description: String {
        switch self {
        case .portable: "portable"
        case .avx2FMA: "avx2+fma"
        }
    }
}

/// Where the fast kernels run: a persistent thread pool (`threads − 1` workers; the calling thread
/// is the first worker), the instruction-set path, and per-worker scratch buffers that grow to
/// the largest shape seen and then stay (so steady-state calls allocate nothing).
///
/// Create one per generator and keep it. Calls on one context are serialised (a second caller
/// waits); results do not depend on `threads`: work is split only over output rows and columns,
/// never over a reduction.
public final class KernelContext: @unchecked Sendable {
    let raw: OpaquePointer
    /// Threads the kernels use (including the caller's).
    public let threads: Int
    /// The path in use: the one asked for, or `.portable` when the CPU lacks it.
    public let isa: KernelISA

    /// - Parameters:
    ///   - threads: threads to use (clamped to 1...64); defaults to the online processors.
    ///   - isa: the path to use; `.avx2FMA` falls back to `.portable` on CPUs without AVX2/FMA.
    ///     Pass `.portable` to force the fallback (tests, comparisons).
    public init(threads: Int = KernelContext.defaultThreads, isa: KernelISA = .host) {
        let requested: Int32 = isa == .avx2FMA ? Int32(CK_ISA_AVX2_FMA) : Int32(CK_ISA_PORTABLE)
        guard let raw = ck_context_create(Int32(clamping: max(1, min(threads, 64))), requested) else {
            fatalError("KernelContext: out of memory")
        }
        self.raw = raw
        self.threads = Int(ck_context_threads(raw))
        self.isa = ck_context_isa(raw) == Int32(CK_ISA_AVX2_FMA) ? .avx2FMA : .portable
    }

    deinit { ck_context_destroy(raw) }

    /// The processors online (at least 1).
    public static var defaultThreads: Int { Int(ck_online_cpus()) }

    /// Scratch memory held by the context (packing buffers, column buffers, FIR rows).
    public var scratchBytes: Int { Int(ck_context_scratch_bytes(raw)) }
}
