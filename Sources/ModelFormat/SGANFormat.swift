import ByteIO
public import Tensors

/// Constants and limits of the `.sgan` format (Schemas/SGAN.md §2, §8).
public enum SGANFormat {
    /// `\x89SGAN\r\n\x1a`: a high byte first (not text), CR LF and ^Z to catch text-mode mangling.
    public static let magic: [UInt8] = [0x89, 0x53, 0x47, 0x41, 0x4E, 0x0D, 0x0A, 0x1A]
    public static let major = 1
    public static let minor = 0
    /// Read little-endian it is this value; read from a big-endian file it is byte-swapped.
    public static let byteOrderMark: UInt32 = 0x0A0B_0C0D
    public static let preambleSize = 64
    /// The data section starts on a page boundary.
    public static let dataAlignment = 4096
    /// Region alignment written by this writer (readers accept powers of two 64...4096).
    public static let regionAlignment = 64

    /// Storage dtypes a file may hold.
    public static let storageDTypes: Set<DType> = [.f32, .f16, .bf16, .i8]
    /// `required_features` this reader implements (none are defined in 1.0).
    public static let knownFeatures: Set<String> = []

    public enum Limits {
        public static let headerLength = 16 << 20
        public static let jsonDepth = 32
        public static let jsonString = 65_536
        public static let tensors = 65_536
        public static let nameBytes = 256
        public static let rank = 8
        public static let dimension = Int(Int32.max)
        public static let nodes = 65_536
        public static let provenanceLines = 4_096
    }

    /// The smallest multiple of `alignment` (a power of two) that is ≥ `value`, nil on overflow.
    static func align(_ value: Int, _ alignment: Int) -> Int? {
        let (sum, o) = value.addingReportingOverflow(alignment - 1)
        return o ? nil : sum & ~(alignment - 1)
    }

    /// A tensor or node name: 1...256 bytes of UTF-8 without control characters.
    static func isValidName(_ name: String) -> Bool {
        let n = name.utf8.count
        return n >= 1 && n <= Limits.nameBytes && !name.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }
}

/// The fixed 64 bytes at the start of every file (Schemas/SGAN.md §2).
struct SGANPreamble: Equatable {
    var major = SGANFormat.major
    var minor = SGANFormat.minor
    var headerLength: Int
    var dataOffset: Int
    var dataLength: Int
    var headerCRC: UInt32

    /// The 64 bytes, with the preamble checksum filled in.
    func encoded() -> [UInt8] {
        var b = SGANFormat.magic
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
        put(UInt16(major)); put(UInt16(minor)); put(SGANFormat.byteOrderMark)
        put(UInt64(headerLength)); put(UInt64(dataOffset)); put(UInt64(dataLength))
        put(headerCRC)
        b += [UInt8](repeating: 0, count: 16)
        put(CRC32.checksum(b))
        return b
    }
}
