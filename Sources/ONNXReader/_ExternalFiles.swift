#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ByteIO
import Tensors

/// The files a model's external tensor data lives in: confined to the model's folder, opened
/// once each (mapped, or read into private memory), shared by every tensor that points into them.
///
/// A location must be a relative path without `..` components; after resolving symbolic links
/// it must still lie inside the folder, and be a regular file (not a device or a pipe).
final class _ExternalFiles {
    struct Failure: Error { let message: String }
    struct File {
        let path: String
        let bytes: SharedBytes
    }

    private let directory: String?
    private let access: ONNXModel.ExternalDataAccess
    private var resolvedDirectory: String?
    private var opened: [String: SharedBytes] = [:]

    init(directory: String?, access: ONNXModel.ExternalDataAccess) {
        self.directory = directory
        self.access = access
    }

    func open(_ location: String) throws(Failure) -> File {
        guard let directory else {
            throw Failure(message: "the tensor's data is in external file \(ONNXError.quote(location)), but the model was decoded from memory without a folder to look in")
        }
        let name = ONNXError.quote(location)
        guard !location.isEmpty else { throw Failure(message: "external_data location is empty") }
        guard !location.hasPrefix("/") else {
            throw Failure(message: "external_data location \(name) is an absolute path; it must be relative to the model's folder")
        }
        guard !location.contains("\\") else {
            throw Failure(message: "external_data location \(name) contains a backslash; use '/' between folder names")
        }
        let components = location.split(separator: "/", omittingEmptySubsequences: true)
        guard !components.contains("..") else {
            throw Failure(message: "external_data location \(name) contains '..'; it must stay inside the model's folder")
        }
        guard !components.isEmpty, !components.allSatisfy({ $0 == "." }) else {
            throw Failure(message: "external_data location \(name) names no file")
        }
        let base = try resolveDirectory(directory)
        let real = try realPath(directory + "/" + location, display: "external data file \(name)")
        let prefix = base == "/" ? "/" : base + "/"
        guard real.hasPrefix(prefix), real.count > prefix.count else {
            throw Failure(message: "external_data location \(name) resolves to \(ONNXError.quote(real)), outside the model's folder (a symbolic link?)")
        }
        if let bytes = opened[real] { return File(path: real, bytes: bytes) }
        var st = stat()
        guard stat(real, &st) == 0 else { throw Failure(message: "external data file \(name): \(String(cString: strerror(errno)))") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw Failure(message: "external data file \(name) is not a regular file") }
        let bytes: SharedBytes
        do {
            bytes = switch access {
            case .mapped: try FileBytes.map(path: real)
            case .readOnce: try FileBytes.readUnchanging(path: real)
            }
        } catch { throw Failure(message: "external data file \(name): \(error.description)") }
        opened[real] = bytes
        return File(path: real, bytes: bytes)
    }

    private func resolveDirectory(_ directory: String) throws(Failure) -> String {
        if let resolvedDirectory { return resolvedDirectory }
        let r = try realPath(directory, display: "the model's folder \(ONNXError.quote(directory))")
        resolvedDirectory = r
        return r
    }

    private func realPath(_ path: String, display: String) throws(Failure) -> String {
        guard let p = realpath(path, nil) else {
            let reason = errno == ENOENT ? "does not exist" : String(cString: strerror(errno))
            throw Failure(message: "\(display) \(reason)")
        }
        defer { free(p) }
        return String(cString: p)
    }
}
