import ByteIO

/// The Python literal subset found in .npy headers.
indirect enum PyLiteral {
    case string(String), bool(Bool), none, int(Int)
    case tuple([PyLiteral]), list([PyLiteral])
    /// `at`: absolute offset of the value, for errors.
    case dict([(key: String, value: PyLiteral, at: Int)])
}

/// A strict recursive-descent parser for `PyLiteral`: strings without escapes, decimal
/// integers, True/False/None, tuples, lists and dicts with string keys, trailing commas and
/// whitespace. Nesting is bounded so hostile input cannot exhaust the stack.
struct PyLiteralParser {
    let bytes: [UInt8]
    /// Absolute offset of `bytes[0]`, for errors.
    let base: Int
    /// Format 3.0 headers are UTF-8; 1.0 and 2.0 are Latin-1.
    let utf8: Bool
    var i = 0
    static let maxDepth = 16

    init(bytes: [UInt8], base: Int, utf8: Bool) {
        self.bytes = bytes
        self.base = base
        self.utf8 = utf8
    }

    /// The header: one dict, then only whitespace.
    mutating func topLevelDict() throws(ByteIOError) -> [(key: String, value: PyLiteral, at: Int)] {
        skipSpace()
        guard peek == UInt8(ascii: "{") else { throw error("header is not a dict literal") }
        guard case .dict(let items) = try value(depth: 0) else { throw error("header is not a dict literal") }
        skipSpace()
        guard i == bytes.count else { throw error("unexpected text after the header dict") }
        return items
    }

    private var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    private func error(_ message: String) -> ByteIOError { .invalid(offset: base + i, message) }

    private mutating func skipSpace() {
        while let c = peek, c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d { i += 1 }
    }

    private mutating func value(depth: Int) throws(ByteIOError) -> PyLiteral {
        guard depth < PyLiteralParser.maxDepth else { throw error("header nests too deeply") }
        skipSpace()
        guard let c = peek else { throw error("header ends where a value was expected") }
        switch c {
        case UInt8(ascii: "{"):
            var items: [(key: String, value: PyLiteral, at: Int)] = []
            for item in try sequence(close: UInt8(ascii: "}"), depth: depth, keyed: true).items {
                guard case .string(let key) = item.value, let value = item.second else {
                    throw .invalid(offset: item.at, "dict keys must be strings")
                }
                items.append((key, value, item.secondAt))
            }
            return .dict(items)
        case UInt8(ascii: "("):
            let (items, trailingComma) = try sequence(close: UInt8(ascii: ")"), depth: depth, keyed: false)
            // `(3)` is just 3 in Python; only `(3,)` is a one-element tuple.
            if items.count == 1, !trailingComma { return items[0].value }
            return .tuple(items.map(\.value))
        case UInt8(ascii: "["):
            return .list(try sequence(close: UInt8(ascii: "]"), depth: depth, keyed: false).items.map(\.value))
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            return .string(try string(quote: c))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .int(try integer())
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
            let start = i
            while let d = peek, isIdentifier(d) { i += 1 }
            switch String(decoding: bytes[start..<i], as: UTF8.self) {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            case let name: i = start; throw error("unexpected name '\(name)'")
            }
        default:
            throw error("unexpected character \(describe(c))")
        }
    }

    typealias Item = (value: PyLiteral, second: PyLiteral?, at: Int, secondAt: Int)

    /// Items up to `close`, comma-separated, trailing comma allowed; `keyed` reads `key: value`
    /// (the value in `second`).
    private mutating func sequence(close: UInt8, depth: Int, keyed: Bool) throws(ByteIOError) -> (items: [Item], trailingComma: Bool) {
        i += 1  // the opening bracket
        var items: [Item] = []
        var trailingComma = false
        while true {
            skipSpace()
            if peek == close { i += 1; return (items, trailingComma) }
            let at = base + i
            let first = try value(depth: depth + 1)
            var second: PyLiteral? = nil, secondAt = at
            if keyed {
                skipSpace()
                guard peek == UInt8(ascii: ":") else { throw error("expected ':' after a dict key") }
                i += 1
                skipSpace()
                secondAt = base + i
                second = try value(depth: depth + 1)
            }
            items.append((first, second, at, secondAt))
            skipSpace()
            trailingComma = peek == UInt8(ascii: ",")
            if trailingComma { i += 1; continue }
            guard peek == close else { throw error("expected ',' or '\(Character(Unicode.Scalar(close)))'") }
        }
    }

    private mutating func string(quote: UInt8) throws(ByteIOError) -> String {
        let start = i + 1
        guard let end = bytes[start...].firstIndex(of: quote) else { throw error("unterminated string") }
        let raw = bytes[start..<end]
        if let bad = raw.firstIndex(where: { $0 == UInt8(ascii: "\\") || $0 < 0x20 }) {
            i = bad
            throw error("escapes and control characters in strings are not supported")
        }
        let text: String
        if utf8 {
            guard let s = String(validating: raw, as: UTF8.self) else { i = start; throw error("string is not valid UTF-8") }
            text = s
        } else {
            text = String(String.UnicodeScalarView(raw.map { Unicode.Scalar($0) }))  // Latin-1
        }
        i = end + 1
        return text
    }

    /// A decimal integer (Python 2 headers may end it with `L`), overflow-checked.
    private mutating func integer() throws(ByteIOError) -> Int {
        let start = i
        let negative = peek == UInt8(ascii: "-")
        if negative { i += 1 }
        var v = 0, digits = 0
        while let c = peek, c >= 0x30, c <= 0x39 {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(c - 0x30))
            guard !o1, !o2 else { i = start; throw error("integer is too large") }
            v = s; digits += 1; i += 1
        }
        guard digits > 0 else { throw error("expected a digit") }
        if peek == UInt8(ascii: "L") { i += 1 }
        if let c = peek, isIdentifier(c) || c == UInt8(ascii: ".") { throw error("expected an integer") }
        return negative ? -v : v
    }

    private func isIdentifier(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7a) || c == UInt8(ascii: "_")
    }

    private func describe(_ c: UInt8) -> String {
        c >= 0x20 && c < 0x7f ? "'\(Character(Unicode.Scalar(c)))'" : "0x" + String(c, radix: 16)
    }
}
