public import ByteIO

/// A failure reading or writing an HDF5 file. Every case names the file and, where there is
/// one, the object path inside it; `description` is one line (HDF5's own error stack is never
/// printed, its innermost message is carried in `detail`).
public enum HDF5Error: Error, Equatable, CustomStringConvertible {
    case cannotOpen(file: String, reason: String)
    case notHDF5(file: String)
    case noDataset(file: String, path: String)
    case notADataset(file: String, path: String)
    /// No group or dataset at `path` (for attributes and group creation).
    case noObject(file: String, path: String)
    case noAttribute(file: String, object: String, name: String)
    case unsupportedType(file: String, path: String, type: String)
    case unsupportedAttributeType(file: String, object: String, name: String, type: String)
    case alreadyExists(file: String, path: String)
    case invalidArgument(file: String, path: String, reason: String)
    /// An HDF5 call failed for a reason not recognised above.
    case library(file: String, path: String, operation: String, detail: String)
    /// Writing the finished file to its destination failed.
    case output(FileError)

    public var description: String {
        let text: String
        switch self {
        case let .cannotOpen(file, reason): text = "\(file): cannot open: \(reason)"
        case let .notHDF5(file): text = "\(file): not an HDF5 file"
        case let .noDataset(file, path): text = "\(file): no dataset '\(path)'"
        case let .notADataset(file, path): text = "\(file): '\(path)' is a group, not a dataset"
        case let .noObject(file, path): text = "\(file): no group or dataset '\(path)'"
        case let .noAttribute(file, object, name): text = "\(file): no attribute '\(name)' on '\(object)'"
        case let .unsupportedType(file, path, type): text = "\(file): dataset '\(path)' has unsupported type \(type)"
        case let .unsupportedAttributeType(file, object, name, type):
            text = "\(file): attribute '\(name)' on '\(object)' has unsupported type \(type) (expected a string)"
        case let .alreadyExists(file, path): text = "\(file): '\(path)' already exists"
        case let .invalidArgument(file, path, reason): text = "\(file): '\(path)': \(reason)"
        case let .library(file, path, operation, detail):
            text = "\(file): '\(path)': HDF5 \(operation) failed" + (detail.isEmpty ? "" : " (\(detail))")
        case let .output(error): text = error.description
        }
        // One line, whatever HDF5 or the OS put into the parts.
        return String(text.map { $0.isNewline ? " " : $0 })
    }
}
