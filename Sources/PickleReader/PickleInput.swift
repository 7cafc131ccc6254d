import ByteIO
import Tensors

/// The VM's view of the bytes: the project's bounds-checked `ByteReader`, plus protocol-4
/// frames. As in CPython, a read that starts inside a frame must end inside it, and a new FRAME
/// may only start where the previous one ended.
struct PickleInput {
    var reader: ByteReader
    /// Absolute end of the current frame, or nil outside frames.
    private(set) var frameEnd: Int?

    init(_ source: SharedBytes, range: Range<Int>) throws(PickleError) {
        do { reader = try ByteReader(source, range: range) } catch { throw PickleError(byteIO: error) }
    }

    var offset: Int { reader.offset }
    var source: SharedBytes { reader.source }

    /// Checks that `count` bytes can be read here (within the current frame, if any).
    mutating func require(_ count: Int, _ what: @autoclosure () -> String) throws(PickleError) {
        if let end = frameEnd {
            if reader.offset == end {
                frameEnd = nil
            } else if count > end - reader.offset {
                throw PickleError(.malformed, offset: reader.offset,
                                  "\(what()) (\(count) bytes) runs past the end of its frame at byte \(end)")
            }
        }
        do { try reader.require(count, what()) } catch { throw PickleError(byteIO: error) }
    }

    mutating func byte(_ what: @autoclosure () -> String = "opcode") throws(PickleError) -> UInt8 {
        try require(1, what())
        return try Self.wrap { () throws(ByteIOError) in try reader.u8() }
    }

    mutating func u16(_ what: @autoclosure () -> String) throws(PickleError) -> UInt16 {
        try require(2, what())
        return try Self.wrap { () throws(ByteIOError) in try reader.u16() }
    }

    mutating func u32(_ what: @autoclosure () -> String) throws(PickleError) -> UInt32 {
        try require(4, what())
        return try Self.wrap { () throws(ByteIOError) in try reader.u32() }
    }

    mutating func i32(_ what: @autoclosure () -> String) throws(PickleError) -> Int32 {
        try require(4, what())
        return try Self.wrap { () throws(ByteIOError) in try reader.i32() }
    }

    mutating func u64(_ what: @autoclosure () -> String) throws(PickleError) -> UInt64 {
        try require(8, what())
        return try Self.wrap { () throws(ByteIOError) in try reader.u64() }
    }

    mutating func f64BigEndian(_ what: @autoclosure () -> String) throws(PickleError) -> Double {
        try require(8, what())
        return try Self.wrap { () throws(ByteIOError) in try reader.f64BigEndian() }
    }

    /// A length field: checked against the bytes that remain before anything is allocated.
    mutating func length(_ raw: UInt64, at: Int, _ what: String) throws(PickleError) -> Int {
        let left = frameEnd.map { $0 == reader.offset ? reader.remaining : $0 - reader.offset } ?? reader.remaining
        guard raw <= UInt64(left) else {
            throw PickleError(.truncated, offset: at, "\(what) declares \(raw) bytes but only \(left) remain")
        }
        return Int(raw)
    }

    /// The next `count` bytes as a range of the source (no copy).
    mutating func range(_ count: Int, _ what: @autoclosure () -> String) throws(PickleError) -> Range<Int> {
        try require(count, what())
        return try Self.wrap { () throws(ByteIOError) in try reader.range(count, what()) }
    }

    /// A text line without its `\n` (protocol-0 arguments), as a range of the source.
    mutating func line(_ what: String) throws(PickleError) -> Range<Int> {
        if let end = frameEnd, reader.offset == end { frameEnd = nil }
        let start = reader.offset
        let limit = frameEnd ?? reader.end
        guard let nl = reader.firstIndex(of: 0x0A), nl < limit else {
            throw PickleError(frameEnd == nil ? .truncated : .malformed, offset: start,
                              "\(what) has no terminating newline" + (frameEnd == nil ? "" : " inside its frame"))
        }
        _ = try range(nl - start + 1, what)
        return start..<nl
    }

    /// FRAME: the next `count` bytes form a frame.
    mutating func beginFrame(_ count: UInt64, at: Int) throws(PickleError) {
        if let end = frameEnd, reader.offset != end {
            throw PickleError(.malformed, offset: at, "FRAME starts \(end - reader.offset) bytes before the end of the current frame")
        }
        frameEnd = nil
        let n = try length(count, at: at, "FRAME")
        frameEnd = reader.offset + n
    }

    /// Bytes of the current frame not yet read (0 outside frames).
    var frameRemaining: Int { frameEnd.map { $0 - reader.offset } ?? 0 }

    private static func wrap<T>(_ body: () throws(ByteIOError) -> T) throws(PickleError) -> T {
        do { return try body() } catch { throw PickleError(byteIO: error) }
    }
}

extension PickleError {
    init(byteIO e: ByteIOError) {
        switch e {
        case let .outOfBounds(offset, needed, available, what):
            self.init(.truncated, offset: offset, "truncated: \(what) needs \(needed) bytes, \(available) remain")
        case let .invalid(offset, message):
            self.init(.malformed, offset: offset, message)
        }
    }
}
