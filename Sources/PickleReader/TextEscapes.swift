/// The two escape formats of protocol-0 strings.
enum TextEscapes {
    /// `codecs.escape_decode` (STRING): `\\ \' \" \a \b \f \n \r \t \v`, `\xhh`, octal `\ooo`,
    /// backslash-newline removed; any other backslash stays as written.
    static func escapeDecode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            i += 1
            guard c == 0x5C else { out.append(c); continue }
            guard i < text.endIndex else { return nil }  // trailing backslash
            let e = text[i]
            i += 1
            switch e {
            case 0x0A: break
            case 0x5C, 0x27, 0x22: out.append(e)
            case 0x61: out.append(0x07)  // a
            case 0x62: out.append(0x08)  // b
            case 0x66: out.append(0x0C)  // f
            case 0x6E: out.append(0x0A)  // n
            case 0x72: out.append(0x0D)  // r
            case 0x74: out.append(0x09)  // t
            case 0x76: out.append(0x0B)  // v
            case 0x78:  // x: exactly two hex digits
                guard i + 1 < text.endIndex, let h = hex(text[i]), let l = hex(text[i + 1]) else { return nil }
                out.append(h << 4 | l)
                i += 2
            case 0x30...0x37:  // up to three octal digits
                var v = Int(e - 0x30)
                var n = 1
                while n < 3, i < text.endIndex, (0x30...0x37).contains(text[i]) {
                    v = v * 8 + Int(text[i] - 0x30)
                    i += 1
                    n += 1
                }
                out.append(UInt8(truncatingIfNeeded: v))
            default: out.append(0x5C); out.append(e)
            }
        }
        return out
    }

    /// `raw-unicode-escape` (UNICODE): bytes are Latin-1 code points, except `\uXXXX` and
    /// `\UXXXXXXXX` after an odd run of backslashes.
    static func rawUnicodeEscapeDecode(_ text: [UInt8]) -> String? {
        var out = String.UnicodeScalarView()
        var i = 0
        while i < text.count {
            guard text[i] == 0x5C else { out.append(Unicode.Scalar(text[i])); i += 1; continue }
            var run = 0
            while i < text.count, text[i] == 0x5C { out.append("\\"); run += 1; i += 1 }
            guard run % 2 == 1, i < text.count, text[i] == 0x75 || text[i] == 0x55 else { continue }
            out.removeLast()
            let n = text[i] == 0x75 ? 4 : 8
            i += 1
            guard i + n <= text.count else { return nil }
            var v: UInt32 = 0
            for k in 0..<n {
                guard let h = hex(text[i + k]) else { return nil }
                v = v << 4 | UInt32(h)
            }
            guard let scalar = Unicode.Scalar(v) else { return nil }  // surrogate or > 0x10FFFF
            out.append(scalar)
            i += n
        }
        return String(out)
    }

    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
}
