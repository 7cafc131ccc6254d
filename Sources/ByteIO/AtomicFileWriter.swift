#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that the destination is either untouched or complete: the bytes go to a
/// temporary file `.<name>.tmp-XXXXXX` in the destination's folder, which is flushed to disk and
/// then renamed over the destination (and the folder flushed so the rename itself survives a
/// crash). Dropping the writer without `commit()` removes the temporary file.
///
/// While open, the temporary file holds an exclusive `flock`, which tells a later writer that it
/// is not the leftover of a killed process (`removeLeftovers`). Writes append, or go to a chosen
/// offset (a format whose header is written last); `temporaryPath` lets a caller re-read and
/// verify the file before committing it.
public struct AtomicFileWriter: ~Copyable {
    public let destination: String
    public let temporaryPath: String
    private var fd: Int32
    private var position = 0
    private var finished = false

    public init(destination: String) throws(FileError) {
        self.destination = destination
        let (folder, base) = Self.split(destination)
        var template = Array("\(folder)/\(Self.temporaryPrefix(base))XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .system(path: destination, operation: "create temporary file", errno: errno) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = flock(fd, LOCK_EX | LOCK_NB)
        self.fd = fd
        temporaryPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Writes `bytes` at `offset` (the append position is not moved).
    public mutating func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(FileError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(path: destination, operation: "write", errno: errno)
            }
            done += n
        }
    }

    public mutating func write(_ bytes: [UInt8], at offset: Int) throws(FileError) {
        let r: Result<Void, FileError> = bytes.withUnsafeBytes { raw in
            do throws(FileError) { try write(raw, at: offset); return .success(()) } catch { return .failure(error) }
        }
        try r.get()
    }

    /// Appends `bytes` after the previous append.
    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        try write(bytes, at: position)
        position += bytes.count
    }

    public mutating func write(_ bytes: [UInt8]) throws(FileError) {
        try write(bytes, at: position)
        position += bytes.count
    }

    /// Sets the file's size.
    public mutating func setSize(_ size: Int) throws(FileError) {
        guard ftruncate(fd, off_t(size)) == 0 else { throw .system(path: destination, operation: "set the size of the temporary file", errno: errno) }
    }

    /// Flushes the data to disk (before a verification, so what is verified is what is kept).
    public mutating func sync() throws(FileError) {
        guard fsync(fd) == 0 else { throw .system(path: destination, operation: "fsync", errno: errno) }
    }

    /// Flushes, renames over the destination with ordinary new-file permissions (mkstemp makes
    /// 0600) and flushes the folder. With `replacing: false` an existing destination is never
    /// replaced, even one that another process created meanwhile (`.alreadyExists`): the file
    /// is hard-linked into place, which fails atomically when the name is taken (on a file
    /// system without hard links, an existence check before the rename is all there is).
    public consuming func commit(replacing: Bool = true) throws(FileError) {
        try sync()
        let mask = umask(0)
        umask(mask)
        fchmod(fd, 0o666 & ~mask)
        if replacing {
            try renameIntoPlace()
        } else if link(temporaryPath, destination) == 0 {
            unlink(temporaryPath)
        } else {
            let code = errno
            if code == EEXIST { throw .alreadyExists(path: destination) }
            guard code == EPERM || code == EOPNOTSUPP else { throw .system(path: destination, operation: "link", errno: code) }
            guard access(destination, F_OK) != 0 else { throw .alreadyExists(path: destination) }
            try renameIntoPlace()
        }
        finished = true
        close(fd)
        fd = -1
        let dir = open(Self.split(destination).folder, O_RDONLY | O_DIRECTORY)
        if dir >= 0 { fsync(dir); close(dir) }
    }

    private func renameIntoPlace() throws(FileError) {
        guard rename(temporaryPath, destination) == 0 else { throw .system(path: destination, operation: "rename", errno: errno) }
    }

    /// Test hook standing in for a killed process: closes the file (releasing its lock) and
    /// leaves the temporary file where it is.
    package consuming func abandon() {
        finished = true
        close(fd)
        fd = -1
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !finished { unlink(temporaryPath) }
    }

    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws(FileError) {
        var w = try AtomicFileWriter(destination: path)
        try w.write(bytes)
        try w.commit()
    }

    // MARK: leftovers of killed writers

    static func temporaryPrefix(_ base: String) -> String { ".\(base).tmp-" }

    /// Removes `.<name>.tmp-*` files next to `destination` that a killed writer left: not locked
    /// by a live writer and last modified before `before` (the start of the current run).
    /// Returns the paths removed.
    @discardableResult
    public static func removeLeftovers(of destination: String, before: timespec, except keep: String? = nil) -> [String] {
        let (folder, base) = split(destination)
        let prefix = temporaryPrefix(base)
        guard let dir = opendir(folder) else { return [] }
        defer { closedir(dir) }
        var removed: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasPrefix(prefix), name.utf8.count == prefix.utf8.count + 6 else { continue }
            let path = "\(folder)/\(name)"
            guard path != keep else { continue }
            let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var st = stat()
            guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            let m = st.st_mtim
            guard m.tv_sec < before.tv_sec || (m.tv_sec == before.tv_sec && m.tv_nsec < before.tv_nsec) else { continue }
            // A live writer holds the lock; a killed one released it with its last descriptor.
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }
            if unlink(path) == 0 { removed.append(path) }
        }
        return removed
    }

    /// The wall-clock time, for `removeLeftovers(before:)`.
    public static func now() -> timespec {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return t
    }

    static func split(_ path: String) -> (folder: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = slash == path.startIndex ? "/" : String(path[..<slash])
        return (folder, String(path[path.index(after: slash)...]))
    }
}
