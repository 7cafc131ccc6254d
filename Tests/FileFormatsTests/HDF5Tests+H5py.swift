import ByteIO
import FileFormats
import Foundation
import Tensors
import TestSupport
import Testing

/// Interoperability with h5py, the reference: it reads the files we write, and writes files
/// (other byte orders, compression, links, unsupported types) for us to read.
extension HDF5Tests {
    static let h5pyAvailable: Bool = (try? runPython("import h5py, numpy"))?.status == 0
    static let needsH5py = Testing.ConditionTrait.enabled(
        if: h5pyAvailable, "h5py is not importable by python3 (pip install -r Fixtures/requirements.txt)")

    struct H5pyView: Decodable {
        struct Dataset: Decodable { let dtype: String; let shape: [Int]; let sha256: String; let values: [Double] }
        struct Attribute: Decodable { let value: String; let encoding: String; let variable: Bool }
        let datasets: [String: Dataset]
        let attributes: [String: [String: Attribute]]
        let expected: [String: String]?
    }

    /// `describe PATH`: what h5py sees in a file. `write PATH`: h5py writes a test file, then
    /// describes it (its readable part) and the attribute values it wrote.
    static let h5pyScript = #"""
    import hashlib, json, sys
    import h5py, numpy as np

    def text(v):
        return v.decode("utf-8") if isinstance(v, bytes) else str(v)

    def describe(path, skip=()):
        out = {"datasets": {}, "attributes": {}}
        def visit(name, obj):
            attrs = {}
            for k in obj.attrs:
                info = h5py.check_string_dtype(obj.attrs.get_id(k).dtype)
                if info is not None and obj.attrs.get_id(k).shape == ():
                    attrs[k] = {"value": text(obj.attrs[k]), "encoding": info.encoding, "variable": info.length is None}
            out["attributes"][name] = attrs
            if isinstance(obj, h5py.Dataset) and not name.startswith(skip):
                a = np.asarray(obj[()])
                le = np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<")))
                out["datasets"][name] = {"dtype": a.dtype.name, "shape": list(a.shape),
                                         "sha256": hashlib.sha256(le.tobytes()).hexdigest(),
                                         "values": [float(x) for x in a.reshape(-1)[:64]]}
        with h5py.File(path, "r") as f:
            visit("/", f)
            f.visititems(visit)
        return out

    mode, path = sys.argv[1], sys.argv[2]
    if mode == "describe":
        print(json.dumps(describe(path)))
        sys.exit(0)

    rng = np.random.default_rng(7)
    expected = {"vlen_utf8": "ünïcode ✓", "vlen_ascii": "plain", "fixed_bytes": "fixed",
                "fixed_utf8": "größe", "spacepad": "pad", "g1 note": "on a group"}
    with h5py.File(path, "w") as f:
        f["be_f32"] = rng.standard_normal((3, 5)).astype(">f4")
        f["f16"] = rng.standard_normal((2, 3)).astype(np.float16)
        f["be_i16"] = rng.integers(-32768, 32767, (4,), dtype=np.int16).astype(">i2")
        f["g1/g2/u8"] = rng.integers(0, 256, (2, 2, 3), dtype=np.uint8)
        f["g1/i64"] = rng.integers(-2**63, 2**63 - 1, (6,), dtype=np.int64)
        f["g1/i8"] = rng.integers(-128, 127, (5,), dtype=np.int8)
        f["i32"] = rng.integers(-2**31, 2**31 - 1, (2, 3), dtype=np.int32)
        f["be_f64_scalar"] = np.array(np.pi, dtype=">f8")
        f["labels"] = np.zeros((4, 0), np.float32)
        f.create_dataset("gzip", data=rng.standard_normal((64, 33)).astype(np.float32),
                         chunks=(16, 11), compression="gzip", shuffle=True)
        f["soft"] = h5py.SoftLink("/g1/i64")
        f["bad/compound"] = np.zeros(3, dtype=[("a", "<f4"), ("b", "<i4")])
        f["bad/strings"] = np.array([b"ab", b"cd"])
        f["bad/u32"] = np.arange(3, dtype=np.uint32)
        f["bad/bool"] = np.array([True, False])
        f.attrs["vlen_utf8"] = expected["vlen_utf8"]
        f.attrs.create("vlen_ascii", expected["vlen_ascii"], dtype=h5py.string_dtype("ascii"))
        f.attrs["fixed_bytes"] = np.bytes_(expected["fixed_bytes"].encode())
        raw = expected["fixed_utf8"].encode()
        f.attrs.create("fixed_utf8", raw, dtype=h5py.string_dtype("utf-8", len(raw)))
        tid = h5py.h5t.C_S1.copy(); tid.set_size(10); tid.set_strpad(h5py.h5t.STR_SPACEPAD)
        h5py.h5a.create(f.id, b"spacepad", tid, h5py.h5s.create(h5py.h5s.SCALAR)).write(np.array(b"pad", dtype="S10"))
        f.attrs["number"] = 3.5
        f.attrs["list"] = ["a", "b"]
        f["g1"].attrs["note"] = expected["g1 note"]
    out = describe(path, skip=("bad/",))
    out["expected"] = expected
    out["all"] = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out["all"].append(n) if isinstance(o, h5py.Dataset) else None)
    out["expected"]["all"] = ",".join(sorted(out["all"]))
    print(json.dumps(out))
    """#

    static func h5py(_ mode: String, _ path: String) throws -> H5pyView {
        let r = try runPython(h5pyScript, [mode, path])
        try #require(r.status == 0, "python failed: \(r.stderr)")
        return try JSONDecoder().decode(H5pyView.self, from: Data(r.stdout.utf8))
    }

    /// numpy's name for what h5py makes of each dtype (bf16 has no numpy type: h5py converts it).
    static let numpyName: [DType: String] = [.f32: "float32", .f64: "float64", .f16: "float16", .bf16: "float32",
                                             .i8: "int8", .u8: "uint8", .i16: "int16", .i32: "int32", .i64: "int64"]

    @Test(needsH5py) func h5pyReadsOurFiles() throws {
        let dir = try TestPaths.temporaryDirectory("hdf5-h5py-reads")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("ours.h5").path
        let datasets = try Self.writeSample(to: path)
        let view = try Self.h5py("describe", path)

        #expect(view.datasets.keys.sorted() == datasets.map(\.0).sorted())
        for (name, t) in datasets {
            guard let d = view.datasets[name] else { continue }
            #expect(d.shape == t.shape.dims, "\(name)")
            #expect(d.dtype == Self.numpyName[t.dtype], "\(name)")
            if t.dtype == .bf16 {
                #expect(d.values == t.floats().map(Double.init), "\(name)")
            } else {
                #expect(d.sha256 == t.withUnsafeBytes { SHA256.hex($0) }, "\(name)")
            }
        }
        let root = view.attributes["/"] ?? [:]
        #expect(root["source"].map { [$0.value, $0.encoding, "\($0.variable)"] } == ["ψ = 0.7 — café ✓", "utf-8", "true"])
        #expect(root["fixed_ascii"].map { [$0.value, $0.encoding, "\($0.variable)"] } == ["hello world", "ascii", "false"])
        #expect(root["empty"]?.value == "")
        #expect(root["empty_vlen"]?.value == "")
        #expect(view.attributes["z"]?["description"]?.value == "latents ∈ ℝ")
        #expect(view.attributes["act"]?["note"].map { [$0.value, $0.encoding] } == ["a group attribute", "ascii"])
        #expect(view.attributes["empty/group"]?["note"]?.value == "nested")
    }

    @Test(needsH5py) func weReadH5pyFiles() throws {
        let dir = try TestPaths.temporaryDirectory("hdf5-h5py-writes")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("theirs.h5").path
        let view = try Self.h5py("write", path)
        let expected = try #require(view.expected)

        let file = try HDF5File(path: path)
        // Every dataset h5py lists (the soft link is not followed, by either side).
        #expect(try file.datasetPaths().sorted().joined(separator: ",") == expected["all"])
        #expect(view.datasets.count == 10)
        for (name, d) in view.datasets {
            let t = try file.read(name)
            #expect(Self.numpyName[t.dtype] == d.dtype, "\(name)")
            #expect(t.shape.dims == d.shape, "\(name)")
            #expect(t.withUnsafeBytes { SHA256.hex($0) } == d.sha256, "\(name)")
        }
        for key in ["vlen_utf8", "vlen_ascii", "fixed_bytes", "fixed_utf8", "spacepad"] {
            #expect(try file.stringAttribute(key) == expected[key], "\(key)")
        }
        #expect(try file.stringAttribute("note", of: "g1") == expected["g1 note"])

        let unsupported = ["bad/compound": "compound", "bad/strings": "string", "bad/u32": "uint32", "bad/bool": "enum"]
        for (name, type) in unsupported {
            let e = Self.error { _ = try file.read(name) }
            #expect(e == .unsupportedType(file: path, path: name, type: type), "\(String(describing: e))")
        }
        Self.expectOneLine(Self.error { _ = try file.stringAttribute("number") }, mentions: [path, "'number'", "float"])
        Self.expectOneLine(Self.error { _ = try file.stringAttribute("list") }, mentions: [path, "'list'", "array of 2"])
    }
}
