/// Typed access to a parsed header value that remembers where it is (`tensors[3].shape[1]`), so
/// every complaint names the key path. Unknown keys are never looked at (Schemas/SGAN.md §9).
struct JSONField {
    let value: JSONValue
    let path: String

    struct Failure: Error, Equatable {
        var path: String
        var message: String
        var description: String { "\(path): \(message)" }
    }

    func fail(_ message: String) -> Failure { Failure(path: path, message: message) }

    private func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// A required key (may hold null).
    func member(_ key: String) throws(Failure) -> JSONField {
        guard case .object(let o) = value else { throw fail("expected an object") }
        guard let v = o[key] else { throw Failure(path: child(key), message: "missing") }
        return JSONField(value: v, path: child(key))
    }

    /// An optional key: nil when absent or null.
    func optionalMember(_ key: String) throws(Failure) -> JSONField? {
        guard case .object(let o) = value else { throw fail("expected an object") }
        guard let v = o[key], v != .null else { return nil }
        return JSONField(value: v, path: child(key))
    }

    var isNull: Bool { value == .null }

    func string() throws(Failure) -> String {
        guard case .string(let s) = value else { throw fail("expected a string") }
        return s
    }

    func int() throws(Failure) -> Int {
        guard case .number(let n) = value else { throw fail("expected an integer") }
        guard let v = Int(n) else { throw fail("\(n) is not an integer in the 64-bit range") }
        return v
    }

    func int(in range: ClosedRange<Int>) throws(Failure) -> Int {
        let v = try int()
        guard range.contains(v) else { throw fail("\(v) is outside \(range.lowerBound)...\(range.upperBound)") }
        return v
    }

    func bool() throws(Failure) -> Bool {
        guard case .bool(let b) = value else { throw fail("expected true or false") }
        return b
    }

    /// A binary32 value: a JSON number rounded directly to binary32, or "inf" / "-inf" / "nan".
    func float() throws(Failure) -> Float {
        switch value {
        case .number(let n):
            guard let f = Float(n) else { throw fail("\(n) is not a number") }
            return f
        case .string("inf"): return .infinity
        case .string("-inf"): return -.infinity
        case .string("nan"): return .nan
        default: throw fail("expected a number")
        }
    }

    func array(limit: Int = .max) throws(Failure) -> [JSONField] {
        guard case .array(let a) = value else { throw fail("expected an array") }
        guard a.count <= limit else { throw fail("\(a.count) entries exceed the limit of \(limit)") }
        return a.enumerated().map { JSONField(value: $1, path: "\(path)[\($0)]") }
    }

    func entries() throws(Failure) -> [(key: String, value: JSONField)] {
        guard case .object(let o) = value else { throw fail("expected an object") }
        return o.keys.map { ($0, JSONField(value: o[$0]!, path: child($0))) }
    }

    // Shorthands.
    func string(_ key: String) throws(Failure) -> String { try member(key).string() }
    func optionalString(_ key: String) throws(Failure) -> String? { try optionalMember(key)?.string() }
    func int(_ key: String) throws(Failure) -> Int { try member(key).int() }
    func float(_ key: String) throws(Failure) -> Float { try member(key).float() }
    func optionalFloat(_ key: String) throws(Failure) -> Float? { try optionalMember(key)?.float() }
    func bool(_ key: String) throws(Failure) -> Bool { try member(key).bool() }
}
