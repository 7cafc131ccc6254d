import FuzzHooks
import FuzzTargets

#if canImport(Glibc)
import Glibc
#endif

// The libFuzzer driver for every harness (built and run by scripts/fuzz.sh, docs/Fuzzing.md).
// One binary serves all readers, chosen by FUZZ_HARNESS (pickle, torch, zip, nvlabs, onnx, npy,
// sgan): one sanitizer link instead of seven keeps the CI smoke build short, and every reader
// is instrumented either way. libFuzzer's flags and corpus folders are the command-line
// arguments, as for any libFuzzer binary.

let harness: FuzzHarness = {
    let name = getenv("FUZZ_HARNESS").map { String(cString: $0) } ?? ""
    guard let h = FuzzHarness(rawValue: name) else {
        print("FUZZ_HARNESS must be one of: \(FuzzHarness.allCases.map(\.rawValue).joined(separator: ", "))")
        exit(2)
    }
    return h
}()

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    harness.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

@_cdecl("LLVMFuzzerCustomMutator")
func customMutator(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    guard let data else { return 0 }
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    harness.mutate(&bytes, maxSize: maxSize, seed: UInt64(seed)) { b, limit in
        // libFuzzer mutates in place within a buffer of `limit` bytes.
        let n = b.count
        guard limit > 0 else { return }
        b += [UInt8](repeating: 0, count: max(0, limit - n))
        let m = b.withUnsafeMutableBufferPointer { LLVMFuzzerMutate($0.baseAddress!, n, limit) }
        b.removeLast(b.count - m)
    }
    let n = min(bytes.count, maxSize)
    bytes.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: n) }
    return n
}

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv as UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
_ = harness  // check FUZZ_HARNESS before libFuzzer starts
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in testOneInput(data, size) })
