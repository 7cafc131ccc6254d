/// A pickle that cannot be read, or a value that is not what the caller needs.
///
/// Always one line. VM errors carry the absolute byte offset in the source bytes (offsets inside
/// an embedded torch stream are offsets in the same file); accessor errors carry the value path
/// (`G_ema/_modules/synthesis/...`), and the offset where the offending value was made when known.
public struct PickleError: Error, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// The bytes break the pickle or torch format (bad opcode, stack underflow, ...).
        case malformed
        /// The bytes end before a field does.
        case truncated
        /// A documented bound (`PickleLimits`) would be exceeded.
        case limit
        /// A valid construct this reader deliberately does not implement.
        case unsupported
        /// A value made by a global outside the allowlist is needed as data.
        case forbidden
        /// A value is not of the type the caller needs.
        case type
        /// The file could not be opened or mapped, or a zip archive is damaged.
        case file
    }

    public let kind: Kind
    public let offset: Int?
    public let path: String?
    public let message: String

    public init(_ kind: Kind, offset: Int?, path: String? = nil, _ message: String) {
        self.kind = kind
        self.offset = offset
        self.path = path
        self.message = message
    }

    public var description: String {
        var s = "pickle"
        if let path { s += " value \(path.isEmpty ? "<root>" : path)" }
        if let offset { s += " at byte \(offset)" }
        return Self.oneLine(s + ": " + message)
    }

    /// Control characters escaped so that names read from a file cannot break the line.
    static func oneLine(_ text: String) -> String {
        var out = ""
        for u in text.unicodeScalars {
            if u.value < 0x20 || u.value == 0x7f { out += "\\x" + String(u.value, radix: 16) } else { out.unicodeScalars.append(u) }
        }
        return out
    }

    /// A name from the file, quoted and bounded in length, for messages.
    static func quote(_ name: String) -> String {
        let short = name.count > 120 ? String(name.prefix(120)) + "…" : name
        return "'" + oneLine(short) + "'"
    }
}
