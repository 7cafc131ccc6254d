/// Why a model could not be imported, naming the source path of the tensor or value.
public enum ImportError: Error, Equatable, CustomStringConvertible {
    case missingTensor(path: String)
    case shapeMismatch(path: String, expected: [Int], actual: [Int])
    case unusedTensors([String])
    case malformed(path: String, String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .missingTensor(let p): "missing tensor \(p)"
        case let .shapeMismatch(p, e, a): "tensor \(p) has shape \(a), expected \(e)"
        case .unusedTensors(let ps):
            "\(ps.count) source tensor(s) not understood: " + ps.prefix(5).joined(separator: ", ") + (ps.count > 5 ? ", ..." : "")
        case let .malformed(p, m): "\(p): \(m)"
        case .unsupported(let m): "unsupported: \(m)"
        }
    }
}
