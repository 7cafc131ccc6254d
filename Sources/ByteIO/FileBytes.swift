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

    /// Reads a whole file into private memory and refuses one that changed while it was read,
    /// for a conversion that must come from one complete version of its source. A mapping would
    /// show another process's concurrent rewrite (a mixed model) or truncation (SIGBUS).
    ///
    /// Size, inode and modification/change times before and after the read must agree. Time
    /// stamps only move when the clock has ticked since the last write (a coarse kernel clock,
    /// whole seconds on some file systems), so a file written within the last 2 s is read a
    /// second time, a chunk at a time, and must have the same bytes.
    public static func readUnchanging(path: String) throws(FileError) -> SharedBytes {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        let started = time(nil)
        let before = try status(fd, path)
        guard (before.st_mode & S_IFMT) == S_IFREG else { throw .notARegularFile(path: path) }
        let size = Int(before.st_size)
        var result: Result<Bool, FileError> = .success(false)
        let bytes = SharedBytes(count: size) { buffer in
            result = Result { () throws(FileError) in try read(fd, into: buffer, at: 0, path) }
        }
        guard try result.get(), atEnd(fd, size) else { throw .changedWhileRead(path: path) }
        if max(before.st_mtim.tv_sec, before.st_ctim.tv_sec) >= started - 2 {
            guard try bytes.withUnsafeBytes({ (all) throws(FileError) in try stillHolds(fd, all, path) }) else {
                throw .changedWhileRead(path: path)
            }
        }
        let after = try status(fd, path)
        func same(_ a: timespec, _ b: timespec) -> Bool { a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec }
        guard after.st_size == before.st_size, after.st_ino == before.st_ino,
              same(after.st_mtim, before.st_mtim), same(after.st_ctim, before.st_ctim) else {
            throw .changedWhileRead(path: path)
        }
        return bytes
    }

    private static func status(_ fd: Int32, _ path: String) throws(FileError) -> stat {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .system(path: path, operation: "stat", errno: errno) }
        return st
    }

    /// Fills `buffer` from `offset`; false when the file ends first.
    private static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, _ path: String) throws(FileError) -> Bool {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(path: path, operation: "read", errno: errno)
            }
            if n == 0 { return false }
            done += n
        }
        return true
    }

    private static func atEnd(_ fd: Int32, _ size: Int) -> Bool {
        var extra: UInt8 = 0
        return pread(fd, &extra, 1, off_t(size)) == 0
    }

    /// Whether the file, read again, holds exactly `bytes`.
    private static func stillHolds(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, _ path: String) throws(FileError) -> Bool {
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { chunk.deallocate() }
        var done = 0
        while done < bytes.count {
            let part = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<min(chunk.count, bytes.count - done)])
            guard try read(fd, into: part, at: done, path),
                  memcmp(part.baseAddress!, bytes.baseAddress! + done, part.count) == 0 else { return false }
            done += part.count
        }
        return atEnd(fd, bytes.count)
    }
}

public enum FileError: Error, Equatable, CustomStringConvertible {
    case system(path: String, operation: String, errno: Int32)
    case notARegularFile(path: String)
    case changedWhileRead(path: String)
    /// A write that must not replace an existing file found one.
    case alreadyExists(path: String)

    public var description: String {
        switch self {
        case let .system(path, operation, code): "\(path): \(operation) failed: \(String(cString: strerror(code)))"
        case let .notARegularFile(path): "\(path): not a regular file"
        case let .changedWhileRead(path): "\(path): the source changed while it was read (is something still writing it?)"
        case let .alreadyExists(path): "\(path): already exists"
        }
    }
}
