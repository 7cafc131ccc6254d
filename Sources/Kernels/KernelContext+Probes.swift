internal import CKernels

extension KernelContext {
    /// Measured FMA peak over all the context's threads in GFLOP/s (2 flops per lane per FMA):
    /// independent FMA chains on 8-wide registers (AVX2), or the portable loop's equivalent.
    public func measureFMAPeak(iterations: Int = 20_000_000) -> Double {
        ck_fma_peak_gflops(raw, iterations)
    }

    /// Runs the peak probe on the calling thread only and returns the flops it executed, for
    /// timing with a clock of the caller's choice (e.g. thread CPU time on a shared machine).
    public func runFMAProbe(iterations: Int) -> Double {
        ck_fma_probe_flops(raw, iterations)
    }

    /// Seconds to start and finish one empty parallel region on the pool (averaged).
    public func measureDispatchOverhead(repeats: Int = 10_000) -> Double {
        ck_parallel_overhead_seconds(raw, Int32(clamping: repeats))
    }
}
