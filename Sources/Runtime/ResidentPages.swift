#if canImport(Glibc)
import Glibc
#endif
import LayerGraph

extension TensorTable {
    /// Asks the kernel to drop the pages of every tensor from this process's memory, once the
    /// executor holds its own copies (weights packed, the rest as float32). Tensors read from a
    /// file are views into its mapping, and every page the packing touched would otherwise stay
    /// resident (config-f: about 120 MB) for as long as the generator lives.
    ///
    /// `MADV_PAGEOUT` keeps contents whatever the memory is (a file page is read again if
    /// touched; anonymous memory without swap stays), unlike `MADV_DONTNEED`, which would zero
    /// a tensor held in allocated memory. It is a hint: kernels before Linux 5.4 refuse it.
    func releaseResidentPages() {
        #if os(Linux)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        for (_, tensor) in entries {
            tensor.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress else { return }
                let start = Int(bitPattern: base) / page * page
                let end = Int(bitPattern: base) + bytes.count
                _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_PAGEOUT)
            }
        }
        #endif
    }
}
