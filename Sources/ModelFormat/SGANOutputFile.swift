#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ByteIO

/// The writer's output: a temporary file `.<name>.tmp-XXXXXX` in the destination's folder that
/// is written at chosen offsets, flushed, re-read by path for verification, then renamed over the
/// destination (and the folder flushed). Dropping it without `commit()` removes the temporary file.
///
/// Same contract as ByteIO's `AtomicFileWriter`, plus what the `.sgan` writer needs and that type
/// does not offer: positioned writes (the header goes in last, at offset 64) and the temporary
/// path (to map and verify the file before the rename). While open, the file holds an exclusive
/// `flock`, which tells a later writer that it is not a leftover of a killed process.
struct SGANOutputFile: ~Copyable {
    let destination: String
    let temporaryPath: String
    private var fd: Int32
    private var finished = false

    init(destination: String) throws(SGANError) {
        self.destination = destination
        let (folder, base) = Self.split(destination)
        var template = Array("\(folder)/\(Self.temporaryPrefix(base))XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw Self.error(destination, "create temporary file") }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = flock(fd, LOCK_EX | LOCK_NB)
        self.fd = fd
        temporaryPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Writes `bytes` at `offset`.
    mutating func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(SGANError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw Self.error(destination, "write")
            }
            done += n
        }
    }

    mutating func write(_ bytes: [UInt8], at offset: Int) throws(SGANError) {
        let r: Result<Void, SGANError> = bytes.withUnsafeBytes { raw in
            do throws(SGANError) { try write(raw, at: offset); return .success(()) } catch { return .failure(error) }
        }
        try r.get()
    }

    /// Sets the file's size (the data section may end in a zero-length region or padding).
    mutating func setSize(_ size: Int) throws(SGANError) {
        guard ftruncate(fd, off_t(size)) == 0 else { throw Self.error(destination, "set the size of the temporary file") }
    }

    /// Flushes the data to disk (before verification, so what is verified is what is kept).
    mutating func sync() throws(SGANError) {
        guard fsync(fd) == 0 else { throw Self.error(destination, "fsync") }
    }

    /// Renames over the destination with ordinary new-file permissions, then flushes the folder.
    consuming func commit() throws(SGANError) {
        let mask = umask(0)
        umask(mask)
        fchmod(fd, 0o666 & ~mask)
        guard rename(temporaryPath, destination) == 0 else { throw Self.error(destination, "rename") }
        finished = true
        close(fd)
        fd = -1
        let dir = open(Self.split(destination).folder, O_RDONLY | O_DIRECTORY)
        if dir >= 0 { fsync(dir); close(dir) }
    }

    /// Test hook standing in for a killed process: closes the file (releasing its lock) and
    /// leaves the temporary file where it is.
    consuming func abandon() {
        finished = true
        close(fd)
        fd = -1
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !finished { unlink(temporaryPath) }
    }

    // MARK: leftovers

    static func temporaryPrefix(_ base: String) -> String { ".\(base).tmp-" }

    /// Removes `.<name>.tmp-*` files next to `destination` that a killed writer left: not locked
    /// by a live writer and last modified before `before` (the start of the current run).
    /// Returns the paths removed.
    @discardableResult
    static func removeLeftovers(of destination: String, before: timespec, except keep: String? = nil) -> [String] {
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

    static func now() -> timespec {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return t
    }

    static func split(_ path: String) -> (folder: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = slash == path.startIndex ? "/" : String(path[..<slash])
        return (folder, String(path[path.index(after: slash)...]))
    }

    private static func error(_ path: String, _ operation: String) -> SGANError {
        SGANError(path: path, .io(.system(path: path, operation: operation, errno: errno)))
    }
}
