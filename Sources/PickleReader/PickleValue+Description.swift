extension PickleValue: CustomStringConvertible {
    /// A bounded rendering (depth 3, 8 items per container), safe on any tree.
    public var description: String { render(depth: 3) }

    /// Scalars in full (strings truncated), containers by kind.
    public var shortDescription: String {
        switch self {
        case .none: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): String(i)
        case .bigInt(let s): s
        case .float(let d): String(d)
        case .string(let s): PickleError.quote(s)
        default: kindDescription
        }
    }

    private func render(depth: Int) -> String {
        func list(_ items: [PickleValue], _ open: String, _ close: String) -> String {
            guard depth > 0 else { return open + "…" + close }
            let shown = items.prefix(8).map { $0.render(depth: depth - 1) }
            return open + shown.joined(separator: ", ") + (items.count > 8 ? ", … (\(items.count) items)" : "") + close
        }
        switch self {
        case .tuple(let t): return list(t.items, "(", ")")
        case .list(let l): return list(l.items, "[", "]")
        case .set(let s): return list(s.items, "{", "}")
        case .dict(let d):
            guard depth > 0 else { return "{…}" }
            let shown = zip(d.keys, d.values).prefix(8).map { "\($0.render(depth: 0)): \($1.render(depth: depth - 1))" }
            return (d.className.map { $0 + "(" } ?? "") + "{" + shown.joined(separator: ", ")
                + (d.count > 8 ? ", … (\(d.count) items)" : "") + "}" + (d.className == nil ? "" : ")")
        default: return shortDescription
        }
    }
}
