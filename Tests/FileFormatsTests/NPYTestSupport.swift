import FileFormats
import Foundation
import Tensors
import Testing
import TestSupport

/// Shared by the NPY and NPZ tests: the fixtures, their manifest (what NumPy read from them,
/// written by Fixtures/fileformats/make_npy_fixtures.py) and exact element comparison.
enum NPYFixtures {
    static let dir = TestPaths.fixtures.appendingPathComponent("fileformats/npy")

    static func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: dir.appendingPathComponent(name))) }

    /// One manifest record: what NumPy read from a file (or one member of an .npz).
    struct Record: Decodable {
        var name: String?
        var dtype: String
        var shape: [Int]
        var values: [Number]
    }

    /// A JSON number kept exact (JSONDecoder parses doubles correctly rounded; Foundation's
    /// JSONSerialization on Linux does not), or "nan"/"inf"/"-inf".
    enum Number: Decodable {
        case int(Int64), double(Double), special(String)

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .special(s); return }
            let i = try? c.decode(Int64.self), d = try? c.decode(Double.self)
            // -0.0 also decodes as the integer 0; keep its sign.
            if let d, d == 0, d.sign == .minus { self = .double(d) }
            else if let i { self = .int(i) }
            else { self = .double(try c.decode(Double.self)) }
        }
    }

    /// A file's entry in manifest.json: one array (.npy) or a list of named arrays (.npz).
    enum Entry: Decodable {
        case array(Record), archive([Record])

        init(from decoder: Decoder) throws {
            if let r = try? Record(from: decoder) { self = .array(r) } else { self = .archive(try [Record](from: decoder)) }
        }
    }

    static func manifest() throws -> [String: Entry] {
        try JSONDecoder().decode([String: Entry].self, from: Data(contentsOf: dir.appendingPathComponent("manifest.json")))
    }

    /// One element exactly: integers as Int64, floats as Double (f16 and f32 widen exactly).
    enum Element: Equatable, CustomStringConvertible {
        case int(Int64), float(Double)

        static func == (a: Element, b: Element) -> Bool {
            switch (a, b) {
            case let (.int(x), .int(y)): x == y
            case let (.float(x), .float(y)): (x.isNaN && y.isNaN) || (x == y && x.sign == y.sign)
            default: false
            }
        }

        var description: String {
            switch self {
            case .int(let v): "\(v)"
            case .float(let v): "\(v)"
            }
        }
    }

    static func elements(_ t: Tensor) -> [Element] {
        t.withUnsafeBytes { raw in
            (0..<t.shape.count).map { i -> Element in
                switch t.dtype {
                case .f16: .float(Double(HalfPrecision.float(fromF16Bits: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                case .bf16: .float(Double(HalfPrecision.float(fromBF16Bits: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                case .f32: .float(Double(raw.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)))
                case .f64: .float(raw.loadUnaligned(fromByteOffset: 8 * i, as: Double.self))
                case .i8: .int(Int64(raw.loadUnaligned(fromByteOffset: i, as: Int8.self)))
                case .u8, .bool: .int(Int64(raw[i]))
                case .i16: .int(Int64(raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
                case .i32: .int(Int64(raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                case .i64: .int(raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
                }
            }
        }
    }

    static func expected(_ values: [Number], floating: Bool) -> [Element] {
        values.map { v in
            switch v {
            case .special(let s): .float(s == "nan" ? .nan : s == "inf" ? .infinity : s == "-inf" ? -.infinity : .signalingNaN)
            case .int(let i): floating ? .float(Double(i)) : .int(i)
            case .double(let d): floating ? .float(d) : .int(Int64(exactly: d) ?? .min)
            }
        }
    }

    /// Checks dtype, shape and every element of `t` against a manifest record.
    static func expectMatches(_ t: Tensor, _ record: Record, _ label: String) {
        #expect(t.dtype.rawValue == record.dtype, "\(label): dtype")
        #expect(t.shape.dims == record.shape, "\(label): shape")
        #expect(elements(t) == expected(record.values, floating: t.dtype.isFloatingPoint), "\(label): values")
    }
}
