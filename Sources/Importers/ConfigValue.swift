/// A plain value from a source's configuration (TF static kwargs, PyTorch init kwargs and
/// module attributes): what importers read to infer the architecture.
public enum ConfigValue: Sendable, Hashable, CustomStringConvertible {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case list([ConfigValue])
    case dict([String: ConfigValue])

    public var int: Int? {
        switch self {
        case .int(let i): i
        case .float(let f) where f == f.rounded() && abs(f) < 1e15: Int(f)
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    public var double: Double? {
        switch self {
        case .int(let i): Double(i)
        case .float(let f): f
        default: nil
        }
    }

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var isNone: Bool { self == .none }

    public subscript(key: String) -> ConfigValue? {
        if case .dict(let d) = self { d[key] } else { nil }
    }

    public var description: String {
        switch self {
        case .none: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): String(i)
        case .float(let f): String(f)
        case .string(let s): "'\(s)'"
        case .list(let l): "[" + l.map(\.description).joined(separator: ", ") + "]"
        case .dict(let d): "{" + d.keys.sorted().map { "\($0): \(d[$0]!)" }.joined(separator: ", ") + "}"
        }
    }
}
