#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
public import Tensors

/// Reading whole files as `SharedBytes`: memory-mapped read-only, so a large model costs
/// address space rather than a copy, and tensors can point straight into it.
public enum FileBytes {
    public static func map(path: String) throws(FileError) -> SharedBytes {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .system(path: path, operation: "stat", errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .notARegularFile(path: path) }
        let size = Int(st.st_size)
        if size == 0 { return SharedBytes([]) }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw .system(path: path, operation: "mmap", errno: errno)
        }
        let region = UnsafeRawBufferPointer(start: p, count: size)
        return SharedBytes(unsafeOwning: region) { r in munmap(UnsafeMutableRawPointer(mutating: r.baseAddress), r.count) }
    }
}

public enum FileError: Error, Equatable, CustomStringConvertible {
    case system(path: String, operation: String, errno: Int32)
    case notARegularFile(path: String)

    public var description: String {
        switch self {
        case let .system(path, operation, code): "\(path): \(operation) failed: \(String(cString: strerror(code)))"
        case let .notARegularFile(path): "\(path): not a regular file"
        }
    }
}
