extension ZipArchive {
    /// Entry names become paths: reject anything that is not a plain relative path.
    static func validatedName(_ bytes: [UInt8], at offset: Int) throws(ByteIOError) -> String {
        func bad(_ why: String) -> ByteIOError { .invalid(offset: offset, "entry name \(why)") }
        guard !bytes.isEmpty else { throw bad("is empty") }
        guard let name = String(validating: bytes, as: UTF8.self) else { throw bad("is not valid UTF-8") }
        if bytes.contains(0) { throw bad("contains a NUL byte") }
        if bytes.contains(where: { $0 < 0x20 || $0 == 0x7f }) { throw bad("contains a control character") }
        if bytes.contains(UInt8(ascii: "\\")) { throw bad("contains a backslash") }
        if bytes[0] == UInt8(ascii: "/") { throw bad("is an absolute path") }
        if bytes.count >= 2, bytes[1] == UInt8(ascii: ":") { throw bad("starts with a drive letter") }
        // A trailing "/" marks a directory entry; any other empty component is suspicious.
        var parts = name.split(separator: "/", omittingEmptySubsequences: false)
        if name.hasSuffix("/") { parts.removeLast() }
        for part in parts {
            if part.isEmpty { throw bad("has an empty path component") }
            if part == "." || part == ".." { throw bad("has a '\(part)' component") }
        }
        return name
    }
}
