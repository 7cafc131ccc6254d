import ByteIO
import FileFormats
import Foundation
import Tensors
import Testing
import TestSupport

// Reference: NumPy. Fixture values are what numpy.load returned (manifest.json); round trips
// ask NumPy to load our files and compare with numpy.save's bytes.
@Suite struct NPYTests {
    typealias F = NPYFixtures

    @Test func readsEveryFixtureAsNumPyDoes() throws {
        let manifest = try F.manifest()
        let files = manifest.keys.filter { $0.hasSuffix(".npy") }.sorted()
        #expect(files.count == 22)
        for file in files {
            guard case .array(let record) = manifest[file] else { Issue.record("\(file): not one array"); continue }
            F.expectMatches(try NPY.read(path: F.path(file)), record, file)
        }
    }

    @Test func littleEndianCOrderPointsIntoTheFile() throws {
        for (file, shared) in [("f4_le.npy", true), ("i8_le.npy", true), ("u1_na.npy", true), ("f4_be.npy", false), ("fortran_f4.npy", false)] {
            let bytes = try FileBytes.map(path: F.path(file))
            let t = try NPY.read(bytes, range: 0..<bytes.count, name: file)
            let inFile = bytes.withUnsafeBytes { file in
                t.withUnsafeBytes { $0.baseAddress! == file.baseAddress! + (file.count - t.byteCount) }
            }
            #expect(inFile == shared, "\(file)")
        }
    }

    @Test func readsFromARangeAndCountsOffsetsFromItsStart() throws {
        let npy = try F.bytes("f4_le.npy")
        let junk = [UInt8](repeating: 0xEE, count: 100)
        let buffer = SharedBytes(junk + npy + junk)
        let t = try NPY.read(buffer, range: 100..<(100 + npy.count), name: "inner")
        #expect(t == (try NPY.read(path: F.path("f4_le.npy"))))
        #expect(throws: NPYError(file: "inner", offset: 128, "data is truncated: f32 data of shape [2, 3] needs 24 bytes, the file has 20")) {
            try NPY.read(buffer, range: 100..<(96 + npy.count), name: "inner")
        }
    }

    /// Element values per dtype, as little-endian bytes, and what NumPy should read back.
    static func sample(_ dtype: DType, count: Int) -> (bytes: [UInt8], elements: [NPYFixtures.Element]) {
        var bytes: [UInt8] = [], elements: [NPYFixtures.Element] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        for i in 0..<count {
            let ints: [Int64] = [-128, 127, 0, 1, -1, 42, Int64(i)]
            let floats: [Double] = [1.5, -0.0, .infinity, -.infinity, .nan, 1.0 / 3, Double(i) * 0.25]
            let v = ints[i % ints.count], f = floats[i % floats.count]
            switch dtype {
            case .i8: put(Int8(v)); elements.append(.int(v))
            case .u8: put(UInt8(v & 0xFF)); elements.append(.int(v & 0xFF))
            case .bool: put(UInt8(v & 1)); elements.append(.int(v & 1))
            case .i16: put(Int16(v) &* 251); elements.append(.int(Int64(Int16(v) &* 251)))
            case .i32: put(Int32(v) &* 16_777_259); elements.append(.int(Int64(Int32(v) &* 16_777_259)))
            case .i64: put(v &* 0x0123_4567_89AB); elements.append(.int(v &* 0x0123_4567_89AB))
            case .f16: put(HalfPrecision.f16Bits(from: Float(f))); elements.append(.float(Double(HalfPrecision.float(fromF16Bits: HalfPrecision.f16Bits(from: Float(f))))))
            case .bf16: put(HalfPrecision.bf16Bits(from: Float(f))); elements.append(.float(Double(HalfPrecision.float(fromBF16Bits: HalfPrecision.bf16Bits(from: Float(f))))))
            case .f32: put(Float(f).bitPattern); elements.append(.float(Double(Float(f))))
            case .f64: put(f.bitPattern); elements.append(.float(f))
            }
        }
        return (bytes, elements)
    }

    @Test func numpyLoadsWhatWeWriteAndWouldHaveWrittenTheSameBytes() throws {
        let dir = try TestPaths.temporaryDirectory("npy-write")
        defer { try? FileManager.default.removeItem(at: dir) }
        var cases: [(file: String, dtype: DType, dims: [Int], elements: [NPYFixtures.Element])] = []
        let shapes: [[Int]] = [[2, 3], [], [4, 0], [7], [2, 1, 3]]
        for dtype in DType.allCases {
            for dims in shapes {
                let shape = try Shape(dims)
                let (bytes, elements) = Self.sample(dtype, count: shape.count)
                let t = try Tensor(dtype: dtype, shape: shape, storage: SharedBytes(bytes))
                let file = dir.appendingPathComponent("\(dtype)_\(dims.count)_\(shape.count).npy").path
                try NPY.write(t, to: file)
                #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: file))) == NPY.encode(t), "write and encode differ")
                cases.append((file, dtype == .bf16 ? .f32 : dtype, dims, elements))
            }
        }
        let script = """
        import io, json, math, sys
        import numpy as np
        def j(x):
            if isinstance(x, (bool, np.bool_, int, np.integer)): return int(x)
            x = float(x)
            return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf") if math.isinf(x) else x
        out = {}
        for f in sys.argv[1:]:
            raw = open(f, "rb").read()
            a = np.load(f)
            buf = io.BytesIO(); np.save(buf, a)
            out[f] = {"descr": a.dtype.str, "shape": list(a.shape), "values": [j(v) for v in a.ravel()],
                      "same_bytes": buf.getvalue() == raw}
        print(json.dumps(out))
        """
        let r = try runPython(script, cases.map(\.file))
        try #require(r.status == 0, "\(r.stderr)")
        struct Loaded: Decodable { var descr: String; var shape: [Int]; var values: [NPYFixtures.Number]; var same_bytes: Bool }
        let loaded = try JSONDecoder().decode([String: Loaded].self, from: Data(r.stdout.utf8))
        let descr: [DType: String] = [.f16: "<f2", .f32: "<f4", .f64: "<f8", .i8: "|i1", .u8: "|u1", .bool: "|b1",
                                      .i16: "<i2", .i32: "<i4", .i64: "<i8"]
        for c in cases {
            let got = try #require(loaded[c.file])
            #expect(got.descr == descr[c.dtype], "\(c.file)")
            #expect(got.shape == c.dims, "\(c.file)")
            #expect(F.expected(got.values, floating: c.dtype.isFloatingPoint) == c.elements, "\(c.file)")
            #expect(got.same_bytes, "\(c.file): not byte-identical to numpy.save")
        }
    }

    @Test func readsWhatNumPyWritesInEveryLayout() throws {
        let dir = try TestPaths.temporaryDirectory("npy-read")
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = """
        import json, math, os, sys
        import numpy as np
        from numpy.lib import format as fmt
        d = sys.argv[1]; rng = np.random.default_rng(7)
        arrays = {
            "c_f4.npy": (rng.standard_normal((3, 4, 5)).astype("<f4"), None),
            "fortran_f4.npy": (np.asfortranarray(rng.standard_normal((3, 4, 5)).astype("<f4")), None),
            "fortran_be_f8.npy": (np.asfortranarray(rng.standard_normal((2, 3, 4, 2)).astype(">f8")), None),
            "fortran_be_i2.npy": (np.asfortranarray(rng.integers(-30000, 30000, (5, 3)).astype(">i2")), None),
            "be_f2_v2.npy": (rng.standard_normal((2, 7)).astype(">f2"), (2, 0)),
            "be_scalar_i8.npy": (np.array(-(2**62) - 3, dtype=">i8"), (3, 0)),
            "fortran_empty.npy": (np.asfortranarray(np.zeros((3, 0, 2), dtype="<f4")), None),
            "rank8.npy": (rng.integers(0, 255, (1, 2, 1, 2, 1, 2, 1, 2)).astype("|u1"), None),
        }
        out = {}
        for name, (a, version) in arrays.items():
            with open(os.path.join(d, name), "wb") as f:
                fmt.write_array(f, a, version=version)
            b = np.load(os.path.join(d, name))
            vals = [int(v) if b.dtype.kind in "iub" else float(v) for v in np.ravel(b, order="C")]
            out[name] = {"dtype": {"f": "f", "i": "i", "u": "u"}[b.dtype.kind] + str(8 * b.dtype.itemsize), "shape": list(b.shape), "values": vals}
        print(json.dumps(out))
        """
        let r = try runPython(script, [dir.path])
        try #require(r.status == 0, "\(r.stderr)")
        let expected = try JSONDecoder().decode([String: NPYFixtures.Record].self, from: Data(r.stdout.utf8))
        #expect(expected.count == 8)
        for (name, record) in expected {
            let t = try NPY.read(path: dir.appendingPathComponent(name).path)
            F.expectMatches(t, record, name)
        }
    }

    @Test func bf16IsWrittenAsExactFloat32() throws {
        let t = try Tensor(.bf16, shape: Shape([3]), floats: [1.5, -2.0, 0.0078125])
        let back = try NPY.read(SharedBytes(NPY.encode(t)), range: 0..<NPY.encode(t).count, name: "bf16")
        #expect(back.dtype == .f32)
        #expect(back.floats() == [1.5, -2.0, 0.0078125])
    }
}
