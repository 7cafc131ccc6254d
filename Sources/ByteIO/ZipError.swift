/// A zip archive that cannot be read, or an entry that cannot be extracted: one line naming the
/// archive, the entry (when there is one) and the byte offset in the archive.
public struct ZipError: Error, Equatable, CustomStringConvertible {
    public let archive: String
    public let entry: String?
    public let offset: Int
    public let problem: String

    public init(archive: String, entry: String? = nil, offset: Int, _ problem: String) {
        self.archive = archive
        self.entry = entry
        self.offset = offset
        self.problem = problem
    }

    public var description: String {
        let place = entry.map { "entry \(ZipError.quoted($0)): " } ?? ""
        return "\(archive): \(place)\(problem) (at byte \(offset))"
    }

    /// A name in single quotes with control characters escaped, so the message stays one line.
    static func quoted(_ name: String) -> String {
        var out = "'"
        for s in name.unicodeScalars {
            if s.value < 0x20 || s.value == 0x7f { out += "\\u{\(String(s.value, radix: 16))}" } else { out.unicodeScalars.append(s) }
        }
        return out + "'"
    }
}

extension ByteIOError {
    /// The problem without the offset, for errors that report the offset their own way.
    public var detail: String {
        switch self {
        case let .outOfBounds(_, needed, available, what): "truncated: \(what) needs \(needed) bytes, \(available) remain"
        case let .invalid(_, message): message
        }
    }
}
