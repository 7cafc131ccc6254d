public import Tensors

/// The one bounds-checked little-endian cursor that every parser reads untrusted bytes with.
///
/// Every read checks the remaining length first and throws `ByteIOError` naming the byte
/// offset (relative to the start of the underlying buffer) and what was being read.
/// Multi-byte values are read with `loadUnaligned`, never `load(as:)`.
public struct ByteReader: Sendable {
    public let source: SharedBytes
    /// Absolute offset of the next byte to read.
    public private(set) var offset: Int
    /// Absolute end (exclusive) of the readable window.
    public let end: Int

    public init(_ source: SharedBytes) {
        self.source = source
        self.offset = 0
        self.end = source.count
    }

    /// A reader over `range` of `source`.
    public init(_ source: SharedBytes, range: Range<Int>) throws(ByteIOError) {
        guard range.lowerBound >= 0, range.upperBound <= source.count else {
            throw .outOfBounds(offset: range.lowerBound, needed: range.count, available: source.count - max(0, range.lowerBound), what: "window")
        }
        self.source = source
        self.offset = range.lowerBound
        self.end = range.upperBound
    }

    public var remaining: Int { end - offset }
    public var isAtEnd: Bool { offset >= end }

    /// Throws unless `count` more bytes are available.
    public func require(_ count: Int, _ what: @autoclosure () -> String) throws(ByteIOError) {
        guard count >= 0, count <= end - offset else {
            throw .outOfBounds(offset: offset, needed: count, available: end - offset, what: what())
        }
    }

    public mutating func seek(to absolute: Int) throws(ByteIOError) {
        guard absolute >= 0, absolute <= end else {
            throw .outOfBounds(offset: absolute, needed: 0, available: max(0, end - absolute), what: "seek target")
        }
        offset = absolute
    }

    public mutating func skip(_ count: Int, _ what: @autoclosure () -> String = "skipped bytes") throws(ByteIOError) {
        try require(count, what())
        offset += count
    }

    mutating func load<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(ByteIOError) -> T {
        try require(MemoryLayout<T>.size, what())
        let v = source.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        offset += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    public mutating func u8(_ what: @autoclosure () -> String = "byte") throws(ByteIOError) -> UInt8 { try load(UInt8.self, what()) }
    public mutating func u16(_ what: @autoclosure () -> String = "uint16") throws(ByteIOError) -> UInt16 { try load(UInt16.self, what()) }
    public mutating func u32(_ what: @autoclosure () -> String = "uint32") throws(ByteIOError) -> UInt32 { try load(UInt32.self, what()) }
    public mutating func u64(_ what: @autoclosure () -> String = "uint64") throws(ByteIOError) -> UInt64 { try load(UInt64.self, what()) }
    public mutating func i32(_ what: @autoclosure () -> String = "int32") throws(ByteIOError) -> Int32 { try load(Int32.self, what()) }
    public mutating func i64(_ what: @autoclosure () -> String = "int64") throws(ByteIOError) -> Int64 { try load(Int64.self, what()) }
    public mutating func f64(_ what: @autoclosure () -> String = "float64") throws(ByteIOError) -> Double {
        Double(bitPattern: try load(UInt64.self, what()))
    }
    public mutating func u16BigEndian(_ what: @autoclosure () -> String = "uint16") throws(ByteIOError) -> UInt16 { try load(UInt16.self, what()).byteSwapped }
    public mutating func u32BigEndian(_ what: @autoclosure () -> String = "uint32") throws(ByteIOError) -> UInt32 { try load(UInt32.self, what()).byteSwapped }
    public mutating func f64BigEndian(_ what: @autoclosure () -> String = "float64") throws(ByteIOError) -> Double {
        Double(bitPattern: try load(UInt64.self, what()).byteSwapped)
    }

    /// Reads a signed 64-bit length or count and checks it is in `0...limit`.
    public mutating func length64(limit: Int, _ what: @autoclosure () -> String) throws(ByteIOError) -> Int {
        let at = offset
        let v = try u64(what())
        guard v <= UInt64(limit) else { throw .invalid(offset: at, "\(what()) \(v) exceeds the limit \(limit)") }
        return Int(v)
    }

    /// The next `count` bytes as a range of `source` (no copy).
    public mutating func range(_ count: Int, _ what: @autoclosure () -> String) throws(ByteIOError) -> Range<Int> {
        try require(count, what())
        defer { offset += count }
        return offset..<(offset + count)
    }

    /// The next `count` bytes copied into an array (for short fields).
    public mutating func bytes(_ count: Int, _ what: @autoclosure () -> String) throws(ByteIOError) -> [UInt8] {
        source.copyBytes(try range(count, what()))
    }

    /// A sub-reader over the next `count` bytes; this reader moves past them.
    public mutating func subReader(_ count: Int, _ what: @autoclosure () -> String) throws(ByteIOError) -> ByteReader {
        let r = try range(count, what())
        return ByteReader(source: source, offset: r.lowerBound, end: r.upperBound)
    }

    private init(source: SharedBytes, offset: Int, end: Int) {
        self.source = source
        self.offset = offset
        self.end = end
    }

    /// Peeks one byte without moving, or nil at the end.
    public func peek() -> UInt8? {
        offset < end ? source.withUnsafeBytes { $0[offset] } : nil
    }

    /// Finds the first `byte` at or after the cursor, returning its absolute offset.
    public func firstIndex(of byte: UInt8) -> Int? {
        source.withUnsafeBytes { raw in
            raw[offset..<end].firstIndex(of: byte)
        }
    }
}
