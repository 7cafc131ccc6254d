import Tensors

/// Argument decoding: protocol-0 text lines, strings in their three encodings, integers.
extension PickleMachine {
    /// A text line as UTF-8 (GLOBAL/INST names, PERSID ids).
    mutating func textLine(_ what: String) throws(PickleError) -> String {
        let r = try input.line(what)
        try context.charge(r.count, at: opOffset, what)
        guard let s = source.withUnsafeBytes({ String(validating: UnsafeRawBufferPointer(rebasing: $0[r]), as: UTF8.self) }) else {
            throw fail("\(what) is not valid UTF-8")
        }
        return s
    }

    /// The ASCII bytes of a text line (numbers).
    mutating func textAscii(_ what: String) throws(PickleError) -> [UInt8] {
        let r = try input.line(what)
        guard r.count <= limits.maxIntegerBytes * 3 + 64 else { throw fail(.limit, "\(what) is \(r.count) characters long") }
        return source.copyBytes(r)
    }

    /// PUT/GET index.
    mutating func textIndex(_ what: String) throws(PickleError) -> Int {
        let text = try textAscii(what + " index")
        guard case .int(let i)? = Self.decimal(text), i >= 0 else {
            throw fail("\(what) index \(PickleError.quote(String(decoding: text, as: UTF8.self))) is not a non-negative integer")
        }
        return i
    }

    /// INT: decimal, or `00`/`01` for False/True (protocol 0).
    mutating func textInt() throws(PickleError) -> PickleValue {
        let text = try textAscii("INT argument")
        if text == [0x30, 0x30] { return .bool(false) }
        if text == [0x30, 0x31] { return .bool(true) }
        return try decimalValue(text, "INT")
    }

    /// LONG: decimal with an optional trailing `L`.
    mutating func textLong() throws(PickleError) -> PickleValue {
        var text = try textAscii("LONG argument")
        if text.last == 0x4C { text.removeLast() }
        return try decimalValue(text, "LONG")
    }

    mutating func textFloat() throws(PickleError) -> PickleValue {
        let text = String(decoding: try textAscii("FLOAT argument"), as: UTF8.self)
        guard let d = Double(text.trimmingSpaces) else { throw fail("FLOAT argument \(PickleError.quote(text)) is not a number") }
        return .float(d)
    }

    func decimalValue(_ text: [UInt8], _ op: String) throws(PickleError) -> PickleValue {
        guard let v = Self.decimal(text) else {
            throw fail("\(op) argument \(PickleError.quote(String(decoding: text, as: UTF8.self))) is not a decimal integer")
        }
        if case .bigInt(let s) = v, s.utf8.count > limits.maxIntegerBytes * 3 {
            throw fail(.limit, "\(op) integer has more than \(limits.maxIntegerBytes * 3) digits (PickleLimits.maxIntegerBytes)")
        }
        return v
    }

    /// Optional sign and decimal digits → `.int`, or `.bigInt` beyond 64 bits.
    static func decimal(_ text: [UInt8]) -> PickleValue? {
        var digits = text[...]
        var negative = false
        if let f = digits.first, f == 0x2B || f == 0x2D { negative = f == 0x2D; digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        while digits.count > 1, digits.first == 0x30 { digits = digits.dropFirst() }
        let body = String(decoding: digits, as: UTF8.self)
        if let i = Int(negative ? "-" + body : body) { return .int(i) }
        return .bigInt(negative && body != "0" ? "-" + body : body)
    }

    /// LONG1/LONG4: little-endian two's complement.
    mutating func binaryLong(count: Int) throws(PickleError) -> PickleValue {
        guard count <= limits.maxIntegerBytes else {
            throw fail(.limit, "integer of \(count) bytes (PickleLimits.maxIntegerBytes is \(limits.maxIntegerBytes))")
        }
        let bytes = source.copyBytes(try input.range(count, "long integer"))
        try context.charge(count * 3, at: opOffset, "long integer")
        return LongInteger.value(littleEndianTwosComplement: bytes)
    }

    /// BINSTRING/SHORT_BINSTRING: Python 2 `str`, decoded as Latin-1 (what NumPy asks for).
    mutating func latin1(count: Int, _ what: String) throws(PickleError) -> PickleValue {
        let r = try input.range(count, what + " data")
        try context.charge(count * 2, at: opOffset, what)
        return .string(source.withUnsafeBytes { Self.latin1String(UnsafeRawBufferPointer(rebasing: $0[r])) })
    }

    static func latin1String(_ bytes: some Sequence<UInt8>) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(Unicode.Scalar(b)) }
        return String(s)
    }

    mutating func utf8(count: Int, _ what: String) throws(PickleError) -> PickleValue {
        let r = try input.range(count, what + " data")
        try context.charge(count, at: opOffset, what)
        guard let s = source.withUnsafeBytes({ String(validating: UnsafeRawBufferPointer(rebasing: $0[r]), as: UTF8.self) }) else {
            throw fail("\(what) is not valid UTF-8 (lone surrogates are not supported)")
        }
        return .string(s)
    }

    /// STRING: a quoted Python 2 `str` literal with backslash escapes (`codecs.escape_decode`).
    mutating func textString() throws(PickleError) -> PickleValue {
        let text = try source.copyBytes(input.line("STRING argument"))
        guard text.count >= 2, let q = text.first, q == text.last, q == 0x27 || q == 0x22 else {
            throw fail("the STRING argument must be quoted")
        }
        try context.charge(text.count * 2, at: opOffset, "STRING")
        guard let bytes = TextEscapes.escapeDecode(text[1..<(text.count - 1)]) else {
            throw fail("STRING argument has a malformed escape")
        }
        return .string(Self.latin1String(bytes))
    }

    /// UNICODE: `raw-unicode-escape` text.
    mutating func textUnicode() throws(PickleError) -> PickleValue {
        let text = try source.copyBytes(input.line("UNICODE argument"))
        try context.charge(text.count * 4, at: opOffset, "UNICODE")
        guard let s = TextEscapes.rawUnicodeEscapeDecode(text) else {
            throw fail("UNICODE argument has a malformed \\u escape or a lone surrogate")
        }
        return .string(s)
    }
}

extension String {
    var trimmingSpaces: Substring {
        var s = self[...]
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " || s.last == "\r" { s = s.dropLast() }
        return s
    }
}
