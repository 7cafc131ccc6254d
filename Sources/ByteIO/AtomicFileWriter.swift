#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that the destination is either untouched or complete: the bytes go to a
/// temporary file in the destination's folder, which is flushed to disk and then renamed over
/// the destination (and the folder is flushed so the rename itself survives a crash).
/// Dropping the writer without `commit()` removes the temporary file.
public struct AtomicFileWriter: ~Copyable {
    public let destination: String
    private let temporaryPath: String
    private var fd: Int32
    private var committed = false

    public init(destination: String) throws(FileError) {
        self.destination = destination
        let folder = AtomicFileWriter.folder(of: destination)
        let base = destination.split(separator: "/").last.map(String.init) ?? destination
        var template = Array("\(folder)/.\(base).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .system(path: destination, operation: "create temporary file", errno: errno) }
        self.fd = fd
        self.temporaryPath = String(cString: template)
    }

    /// Appends `bytes` to the temporary file.
    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(path: destination, operation: "write", errno: errno)
            }
            done += n
        }
    }

    public mutating func write(_ bytes: [UInt8]) throws(FileError) {
        let result: Result<Void, FileError> = bytes.withUnsafeBytes { raw in
            do throws(FileError) { try write(raw); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }

    /// Flushes, renames over the destination and flushes the folder.
    public consuming func commit() throws(FileError) {
        guard fsync(fd) == 0 else { throw .system(path: destination, operation: "fsync", errno: errno) }
        // Permissions as an ordinary new file (mkstemp creates 0600).
        let mask = umask(0); umask(mask)
        fchmod(fd, 0o666 & ~mask)
        close(fd)
        fd = -1
        guard rename(temporaryPath, destination) == 0 else {
            throw .system(path: destination, operation: "rename", errno: errno)
        }
        committed = true
        let dir = open(AtomicFileWriter.folder(of: destination), O_RDONLY | O_DIRECTORY)
        if dir >= 0 { fsync(dir); close(dir) }
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(temporaryPath) }
    }

    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws(FileError) {
        var w = try AtomicFileWriter(destination: path)
        try w.write(bytes)
        try w.commit()
    }

    private static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
