import Kernels
import Testing
import TestSupport

/// The instruction-set paths to test: the portable fallback always (forced), AVX2/FMA where the
/// CPU has it.
let testedISAs: [KernelISA] = KernelISA.host == .avx2FMA ? [.portable, .avx2FMA] : [.portable]

/// Contexts for every tested path with 1 and 2 threads (and 3, to exercise uneven splits).
func contexts(threads: [Int] = [1, 2, 3]) -> [KernelContext] {
    testedISAs.flatMap { isa in threads.map { KernelContext(threads: $0, isa: isa) } }
}

/// Tolerance for float32 sums that differ only in order (and FMA vs multiply-add):
///
///     |fast − reference| ≤ 1e-5 · Σ|terms|   (+ 1e-30 for exact zeros)
///
/// where Σ|terms| is the same computation on absolute values (`magnitude`). Each float32 sum of
/// K products carries a rounding error that grows like √K · 2⁻²⁴ · Σ|terms| for random data
/// (≤ 5e-6 for K ≤ 5000, the largest reduction here); the worst case K · 2⁻²⁴ is not reached by
/// random signs. Relative to Σ|terms| rather than to the result, since results near zero by
/// cancellation carry the absolute error of the large terms.
func expectClose(_ fast: [Float], _ reference: [Float], magnitude: [Float], tolerance: Float = 1e-5,
                 _ label: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(fast.count == reference.count, "\(label()): count", sourceLocation: sourceLocation)
    var worst: Float = 0, worstIndex = -1
    for i in 0..<min(fast.count, reference.count) {
        let bound = tolerance * magnitude[i] + 1e-30
        let err = abs(fast[i] - reference[i])
        if !(err <= bound) || !fast[i].isFinite {
            if worstIndex < 0 || err / bound > worst { (worst, worstIndex) = (err / bound, i) }
        }
    }
    if worstIndex >= 0 {
        let message = "\(label()): element \(worstIndex) fast \(fast[worstIndex]) reference \(reference[worstIndex]) "
            + "magnitude \(magnitude[worstIndex]) (error \(worst)× the bound)"
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    }
}

/// Bit-for-bit equality (results for different thread counts).
func expectIdentical(_ a: [Float], _ b: [Float], _ label: @autoclosure () -> String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
    let same = a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
    #expect(same, "\(label()): not bit-identical", sourceLocation: sourceLocation)
}

extension Array where Element == Float {
    var magnitudes: [Float] { map { abs($0) } }
}

/// StyleGAN2's up-sampling FIR as the fixtures store it: the 4×4 outer product of [1, 3, 3, 1]
/// normalised to sum 1, gain 4 (run separably).
let upsamplingFIR: FIRFilter = {
    let f1: [Float] = [1, 3, 3, 1]
    return FIRFilter((0..<16).map { f1[$0 / 4] * f1[$0 % 4] / 64 }, taps: 4, separable: false, gain: 4)
}()
