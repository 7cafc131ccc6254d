import ByteIO

/// Structure-aware mutation of `.sgan` files (Schemas/SGAN.md): a blind byte flip anywhere
/// fails a CRC and never gets past step 5 or 8 of the reading order, so this mutator edits the
/// header JSON (numbers, strings, raw bytes), the data section or a preamble field, then
/// re-lays the file out as a writer would: `data_offset = align(64 + H, 4096)` (shifting every
/// `"offset"` in the header when the data section moves), zero padding, `data_length`, every
/// region's `crc32` (the nearest `offset`/`length` before it in the header, which is the order
/// the writer uses), `header_crc32` and `preamble_crc32`. A preamble edit skips the re-layout
/// (only the preamble CRC is fixed) so the preamble checks are reached too.
public enum SGANMutator {
    public static func mutate(_ bytes: inout [UInt8], maxSize: Int, seed: UInt64, blind: BlindMutator) {
        var rng = FuzzRandom(seed: seed)
        guard bytes.count >= 64, bytes.starts(with: SGANLayout.magic), Int.random(in: 0..<10, using: &rng) > 0 else {
            return blind(&bytes, maxSize)
        }
        let h = Int(truncatingIfNeeded: bytes.readLE(at: 16, width: 8))
        let d = Int(truncatingIfNeeded: bytes.readLE(at: 24, width: 8))
        guard h >= 0, h <= bytes.count - 64, d >= 64 + h, d <= bytes.count else { return blind(&bytes, maxSize) }
        var header = Array(bytes[64..<(64 + h)])
        var data = Array(bytes[d...])
        switch Int.random(in: 0..<8, using: &rng) {
        case 0, 1, 2: editNumber(&header, &rng)
        case 3: editString(&header, &rng)
        case 4: blind(&header, max(header.count + 64, 256))
        case 5:
            if data.isEmpty { editNumber(&header, &rng) } else { blind(&data, data.count) }
        case 6:  // a preamble field, then only the preamble CRC
            let field = [(8, 2), (10, 2), (12, 4), (16, 8), (24, 8), (32, 8), (40, 4), (44, 8)].randomElement(using: &rng)!
            let old = Int(truncatingIfNeeded: bytes.readLE(at: field.0, width: field.1))
            bytes.putLE(UInt64(bitPattern: Int64(rng.interesting(near: old))), at: field.0, width: field.1)
            bytes.putLE(UInt64(CRC32.checksum(Array(bytes[0..<60]))), at: 60, width: 4)
            return
        default:  // truncate or extend the data section
            data = Int.random(in: 0...1, using: &rng) == 0 ? Array(data.prefix(Int.random(in: 0...data.count, using: &rng)))
                : data + [UInt8](repeating: 0, count: Int.random(in: 1...4096, using: &rng))
        }
        let out = relayout(Array(bytes[0..<64]), header, data, oldDataOffset: d)
        if out.count <= maxSize { bytes = out }
    }

    /// The file with `header` and `data`, its layout fields and all checksums recomputed.
    public static func relayout(_ preamble: [UInt8], _ header: [UInt8], _ data: [UInt8], oldDataOffset: Int) -> [UInt8] {
        var header = header
        var dataOffset = oldDataOffset
        for _ in 0..<3 {  // shifting offsets can change the header length, rarely twice
            let aligned = (64 + header.count + 4095) / 4096 * 4096
            if aligned == dataOffset { break }
            shiftOffsets(&header, by: aligned - dataOffset)
            dataOffset = aligned
        }
        dataOffset = (64 + header.count + 4095) / 4096 * 4096
        var file = preamble + header + [UInt8](repeating: 0, count: dataOffset - 64 - header.count) + data
        for (at, region) in crcFields(header) {
            let lo = region.lowerBound, hi = region.upperBound
            guard lo >= 0, hi <= file.count, lo <= hi else { continue }
            let hexDigits = Array(hex(CRC32.checksum(Array(file[lo..<hi]))).utf8)
            for k in 0..<8 { file[64 + at + k] = hexDigits[k] }
        }
        file.putLE(UInt64(header.count), at: 16, width: 8)
        file.putLE(UInt64(dataOffset), at: 24, width: 8)
        file.putLE(UInt64(data.count), at: 32, width: 8)
        file.putLE(UInt64(CRC32.checksum(Array(file[64..<(64 + header.count)]))), at: 40, width: 4)
        file.putLE(UInt64(CRC32.checksum(Array(file[0..<60]))), at: 60, width: 4)
        return file
    }

    // MARK: JSON text edits (no parse: the header may already be malformed)

    /// Spans of number tokens outside strings.
    static func numbers(_ s: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0, inString = false
        while i < s.count {
            let c = s[i]
            if inString {
                if c == 0x5C { i += 1 } else if c == 0x22 { inString = false }
                i += 1
            } else if c == 0x22 {
                inString = true
                i += 1
            } else if c == 0x2D || (0x30...0x39).contains(c) {
                var j = i + 1
                while j < s.count, (0x30...0x39).contains(s[j]) || s[j] == 0x2E || s[j] == 0x65 || s[j] == 0x45 || s[j] == 0x2B || s[j] == 0x2D { j += 1 }
                out.append(i..<j)
                i = j
            } else {
                i += 1
            }
        }
        return out
    }

    /// Spans of string contents (between the quotes).
    static func strings(_ s: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0
        while i < s.count {
            guard s[i] == 0x22 else { i += 1; continue }
            var j = i + 1
            while j < s.count, s[j] != 0x22 { j += s[j] == 0x5C ? 2 : 1 }
            out.append((i + 1)..<min(j, s.count))
            i = j + 1
        }
        return out
    }

    static func editNumber(_ header: inout [UInt8], _ rng: inout FuzzRandom) {
        guard let span = numbers(header).randomElement(using: &rng) else { return }
        let old = Int(String(decoding: header[span], as: UTF8.self)) ?? 1
        let replacement: String = switch Int.random(in: 0..<6, using: &rng) {
        case 0: ["1e400", "-0", "0.5", "1e-45", "3.4028235e38", "NaN", "99999999999999999999", "-1"].randomElement(using: &rng)!
        default: String(rng.interesting(near: old))
        }
        header.replaceSubrange(span, with: Array(replacement.utf8))
    }

    /// Replaces a string by another one of the header (a tensor name by another, an op by
    /// another, a dtype by another...) or by one of a few hostile ones.
    static func editString(_ header: inout [UInt8], _ rng: inout FuzzRandom) {
        let all = strings(header)
        guard let span = all.randomElement(using: &rng) else { return }
        let replacement: [UInt8] = if Bool.random(using: &rng), let other = all.randomElement(using: &rng) {
            Array(header[other])
        } else {
            Array(["f32", "f16", "bf16", "i8", "f64", "", "\\u0000", "\\ud800", "a/b", "../x", "primitive_ops", "graph_forms",
                   "inf", "nan", "-inf", String(repeating: "x", count: 300)].randomElement(using: &rng)!.utf8)
        }
        header.replaceSubrange(span, with: replacement)
    }

    static func shiftOffsets(_ header: inout [UInt8], by delta: Int) {
        let key = Array("\"offset\"".utf8)
        for span in numbers(header).reversed() {
            // The number must be the value of an "offset" key: `"offset"`, optional spaces, `:`.
            var k = span.lowerBound - 1
            while k >= 0, header[k] == 0x20 || header[k] == 0x3A { k -= 1 }
            guard k + 1 >= key.count, Array(header[(k + 1 - key.count)...k]) == key,
                  let old = Int(String(decoding: header[span], as: UTF8.self)) else { continue }
            header.replaceSubrange(span, with: Array(String(old &+ delta).utf8))
        }
    }

    /// For every `"crc32": "xxxxxxxx"`: where its 8 digits are in the header, and the region
    /// named by the nearest `"offset"` and `"length"` numbers before it.
    static func crcFields(_ header: [UInt8]) -> [(at: Int, region: Range<Int>)] {
        var last: [String: Int] = [:]
        var out: [(Int, Range<Int>)] = []
        let tokens = (numbers(header).map { ($0, true) } + strings(header).map { ($0, false) }).sorted { $0.0.lowerBound < $1.0.lowerBound }
        var previousString = ""
        for (span, isNumber) in tokens {
            let text = String(decoding: header[span], as: UTF8.self)
            if isNumber {
                if previousString == "offset" || previousString == "length" { last[previousString] = Int(text) }
                previousString = ""
                continue
            }
            if previousString == "crc32", span.count == 8, let o = last["offset"], let l = last["length"], l >= 0, o >= 0,
               o <= Int.max - l {
                out.append((span.lowerBound, o..<(o + l)))
            }
            previousString = text
        }
        return out
    }

    static func hex(_ v: UInt32) -> String {
        let digits = String(v, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}

/// The magic number, from the specification (not from the reader under test).
enum SGANLayout {
    static let magic: [UInt8] = [0x89, 0x53, 0x47, 0x41, 0x4E, 0x0D, 0x0A, 0x1A]
}
