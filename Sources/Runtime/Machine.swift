import Kernels

/// Facts about this machine that benchmarks report beside their timings.
public enum Machine {
    /// The kernels' instruction-set path (`avx2+fma` or `portable`).
    public static var kernelPath: String { KernelISA.host.description }

    /// Measured FMA peak in GFLOP/s over `threads` threads (a tight loop of independent FMAs).
    public static func fmaPeakGFLOPS(threads: Int = KernelContext.defaultThreads) -> Double {
        KernelContext(threads: threads).measureFMAPeak()
    }

    public static var defaultThreads: Int { KernelContext.defaultThreads }
}
