/// A strict RFC 8259 parser for untrusted headers: bounded nesting and string lengths, UTF-8
/// validated, duplicate object keys rejected, numbers checked against the JSON grammar and kept
/// as text. Errors carry the byte offset within the parsed bytes.
struct JSONParser {
    struct Failure: Error, Equatable {
        var offset: Int
        var message: String
    }

    private let bytes: [UInt8]
    private var i = 0
    private let maxDepth: Int
    private let maxString: Int

    static func parse(_ bytes: [UInt8], maxDepth: Int = SGANFormat.Limits.jsonDepth,
                      maxString: Int = SGANFormat.Limits.jsonString) throws(Failure) -> JSONValue {
        var p = JSONParser(bytes: bytes, maxDepth: maxDepth, maxString: maxString)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == bytes.count else { throw Failure(offset: p.i, message: "unexpected data after the JSON document") }
        return v
    }

    private init(bytes: [UInt8], maxDepth: Int, maxString: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.maxString = maxString
    }

    private func fail(_ m: String) -> Failure { Failure(offset: i, message: m) }

    private var current: UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func skipSpace() {
        while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1 }
    }

    private mutating func expect(_ c: UInt8) throws(Failure) {
        guard current == c else { throw fail("expected '\(Character(UnicodeScalar(c)))'") }
        i += 1
    }

    private mutating func value(depth: Int) throws(Failure) -> JSONValue {
        guard let c = current else { throw fail("unexpected end of the JSON document") }
        switch c {
        case UInt8(ascii: "{"):
            guard depth < maxDepth else { throw fail("JSON nesting deeper than \(maxDepth)") }
            return try object(depth: depth + 1)
        case UInt8(ascii: "["):
            guard depth < maxDepth else { throw fail("JSON nesting deeper than \(maxDepth)") }
            return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fail("unexpected byte 0x\(String(c, radix: 16)) in JSON")
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let w = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard bytes.count - i >= w.count, bytes[i..<(i + w.count)].elementsEqual(w) else { throw fail("invalid literal") }
        i += w.count
    }

    private mutating func object(depth: Int) throws(Failure) -> JSONValue {
        i += 1
        var o = JSONObject()
        skipSpace()
        if current == UInt8(ascii: "}") { i += 1; return .object(o) }
        while true {
            skipSpace()
            let keyOffset = i
            guard current == UInt8(ascii: "\"") else { throw fail("expected an object key") }
            let key = try string()
            guard o[key] == nil else { throw Failure(offset: keyOffset, message: "duplicate key \"\(key)\"") }
            skipSpace()
            try expect(UInt8(ascii: ":"))
            skipSpace()
            o[key] = try value(depth: depth)
            skipSpace()
            if current == UInt8(ascii: ",") { i += 1; continue }
            try expect(UInt8(ascii: "}"))
            return .object(o)
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> JSONValue {
        i += 1
        var a: [JSONValue] = []
        skipSpace()
        if current == UInt8(ascii: "]") { i += 1; return .array(a) }
        while true {
            skipSpace()
            a.append(try value(depth: depth))
            skipSpace()
            if current == UInt8(ascii: ",") { i += 1; continue }
            try expect(UInt8(ascii: "]"))
            return .array(a)
        }
    }

    private mutating func number() throws(Failure) -> String {
        let start = i
        func digits(_ p: inout JSONParser) -> Int {
            let s = p.i
            while let c = p.current, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { p.i += 1 }
            return p.i - s
        }
        if current == UInt8(ascii: "-") { i += 1 }
        if current == UInt8(ascii: "0") {
            i += 1
        } else {
            guard digits(&self) > 0 else { throw fail("invalid number") }
        }
        if current == UInt8(ascii: ".") {
            i += 1
            guard digits(&self) > 0 else { throw fail("invalid number: no digits after the decimal point") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            i += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { i += 1 }
            guard digits(&self) > 0 else { throw fail("invalid number: no exponent digits") }
        }
        guard i - start <= 64 else { throw Failure(offset: start, message: "number longer than 64 characters") }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard bytes.count - i >= 4 else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail("invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    private mutating func string() throws(Failure) -> String {
        let start = i
        i += 1
        var out: [UInt8] = []
        while true {
            guard let c = current else { throw Failure(offset: start, message: "unterminated string") }
            guard out.count <= maxString else { throw Failure(offset: start, message: "string longer than \(maxString) bytes") }
            switch c {
            case UInt8(ascii: "\""):
                i += 1
                guard out.count <= maxString else { throw Failure(offset: start, message: "string longer than \(maxString) bytes") }
                guard let s = String(validating: out, as: UTF8.self) else {
                    throw Failure(offset: start, message: "string is not valid UTF-8")
                }
                return s
            case UInt8(ascii: "\\"):
                i += 1
                guard let e = current else { throw Failure(offset: start, message: "unterminated string") }
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        guard bytes.count - i >= 2, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate in \\u escape")
                        }
                        i += 2
                        let low = try hex4()
                        guard low >= 0xDC00 && low < 0xE000 else { throw fail("unpaired surrogate in \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00 && scalar < 0xE000 {
                        throw fail("unpaired surrogate in \\u escape")
                    }
                    out += Array(String(Character(Unicode.Scalar(scalar)!)).utf8)
                default: throw fail("invalid escape in string")
                }
            case 0..<0x20: throw fail("control character in string")
            default:
                out.append(c)
                i += 1
            }
        }
    }
}
