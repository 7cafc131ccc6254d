/// A failure reading untrusted bytes, always with the byte offset where it happened.
public enum ByteIOError: Error, Equatable, CustomStringConvertible {
    /// Fewer bytes remain than a field needs.
    case outOfBounds(offset: Int, needed: Int, available: Int, what: String)
    /// The bytes are there but their value is not acceptable.
    case invalid(offset: Int, String)

    public var offset: Int {
        switch self {
        case .outOfBounds(let o, _, _, _), .invalid(let o, _): o
        }
    }

    public var description: String {
        switch self {
        case let .outOfBounds(offset, needed, available, what):
            "truncated at byte \(offset): \(what) needs \(needed) bytes, \(available) remain"
        case let .invalid(offset, message):
            "at byte \(offset): \(message)"
        }
    }
}
