import ByteIO
import Foundation
import LayerGraph
import ModelFormat
import Tensors
import TestSupport
import Testing

/// An independent reader, written in Python from Schemas/SGAN.md alone (struct, json, zlib,
/// NumPy), checks every rule of the specification on files our writer produced and decodes
/// every tensor; its float32 values must equal ours bit for bit.
@Suite struct SpecConformanceTests {
    static let reader = #"""
    import sys, struct, json, zlib, hashlib
    import numpy as np

    MAGIC = bytes([0x89, 0x53, 0x47, 0x41, 0x4E, 0x0D, 0x0A, 0x1A])
    SIZES = {"f32": 4, "f16": 2, "bf16": 2, "i8": 1}

    def align(x, a):
        return (x + a - 1) // a * a

    def unique_keys(pairs):
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), "duplicate keys"
        return dict(pairs)

    def read(path):
        b = open(path, "rb").read()
        assert len(b) >= 64 and b[:8] == MAGIC
        major, minor, bom = struct.unpack_from("<HHI", b, 8)
        assert bom == 0x0A0B0C0D and major == 1
        hl, do, dl, hcrc = struct.unpack_from("<QQQI", b, 16)
        (pcrc,) = struct.unpack_from("<I", b, 60)
        assert zlib.crc32(b[:60]) == pcrc, "preamble crc"
        assert hl <= 16 << 20 and 64 + hl <= len(b)
        assert do == align(64 + hl, 4096) and do + dl == len(b)
        header = b[64:64 + hl]
        assert zlib.crc32(header) == hcrc, "header crc"
        assert not any(b[64 + hl:do]), "header padding"
        h = json.loads(header.decode("utf-8"), object_pairs_hook=unique_keys)
        assert h["required_features"] == []
        A = h["alignment"]
        assert A & (A - 1) == 0 and 64 <= A <= 4096
        conv = h["conversion"]
        for k in ["source_format", "source_file", "source_sha256", "source_network", "source_parameter_count",
                  "converter", "converter_version", "created_by", "created_at", "options"]:
            assert k in conv, k
        model = h["model"]
        for k in ["config", "mapping", "synthesis", "w_average", "provenance"]:
            assert k in model, k
        pos, out, names = do, {}, set()
        for t in h["tensors"]:
            assert t["name"] not in names
            names.add(t["name"])
            shape = t["shape"]
            assert len(shape) <= 8 and all(0 <= d < 2**31 for d in shape)
            count = int(np.prod(shape, dtype=np.int64))
            assert t["length"] == count * SIZES[t["dtype"]]
            regions = [(t["offset"], t["length"], t["crc32"])]
            q = t.get("quantization")
            assert (q is not None) == (t["dtype"] == "i8")
            if q:
                assert q["scheme"] == "symmetric_per_channel" and q["axis"] == 0 and q["scales"]["dtype"] == "f32"
                assert q["scales"]["length"] == 4 * shape[0]
                regions.append((q["scales"]["offset"], q["scales"]["length"], q["scales"]["crc32"]))
            for off, n, crc in regions:
                assert off == align(pos, A), (t["name"], off, pos)
                assert not any(b[pos:off]), "region padding"
                assert "%08x" % zlib.crc32(b[off:off + n]) == crc, t["name"]
                pos = off + n
            raw = b[t["offset"]:t["offset"] + t["length"]]
            dt = t["dtype"]
            if dt == "f32":
                v = np.frombuffer(raw, "<f4")
            elif dt == "f16":
                v = np.frombuffer(raw, "<f2").astype(np.float32)
            elif dt == "bf16":
                v = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
            else:
                s = np.frombuffer(b[q["scales"]["offset"]:q["scales"]["offset"] + q["scales"]["length"]], "<f4")
                assert np.all(np.isfinite(s)) and np.all(s >= 0)
                qv = np.frombuffer(raw, np.int8).astype(np.float32).reshape(shape[0], -1)
                v = (qv * s[:, None]).astype(np.float32).reshape(-1)
            out[t["name"]] = [dt, shape, hashlib.sha256(v.astype("<f4").tobytes()).hexdigest()]
        assert pos == do + dl, "data section end"
        return {"tensors": out, "order": [t["name"] for t in h["tensors"]], "z_dim": model["config"]["z_dim"]}

    print(json.dumps({p: read(p) for p in sys.argv[1:]}))
    """#

    @Test func independentPythonReaderAgrees() throws {
        let dir = try SGANTest.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var files: [String: SGANFile] = [:]
        for name in ["ada-skip-32", "tf-sg1-128"] {
            let model = try SGANTest.importPickle(SGANTest.fixturePath(name))
            for dtype in SGANTest.dtypes {
                let path = dir.appendingPathComponent("\(name)-\(dtype).sgan").path
                try SGANWriter.write(model.graph, to: path, options: SGANTest.options(dtype, for: model, file: name))
                files[path] = try SGANFile.open(path: path)
            }
        }
        let result = try runPython(Self.reader, files.keys.sorted())
        #expect(result.status == 0, "\(result.stderr)")
        guard result.status == 0 else { return }
        let decoded = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: [String: Any]]
        #expect(Set(decoded.keys) == Set(files.keys))
        for (path, file) in files {
            let python = decoded[path]!
            #expect(python["order"] as? [String] == file.graph.tensors.names, "\(path)")
            #expect(python["z_dim"] as? Int == file.graph.config.zDim)
            let tensors = python["tensors"] as! [String: [Any]]
            for (name, tensor) in file.graph.tensors.entries {
                let entry = tensors[name]!
                #expect(entry[0] as? String == file.storedDTypes[name]!.rawValue, "\(path) \(name)")
                #expect(entry[1] as? [Int] == tensor.shape.dims, "\(path) \(name)")
                let digest = tensor.withUnsafeBytes { raw in
                    var h = SHA256()
                    h.update(raw)
                    return h.finalize().map { String(format: "%02x", $0) }.joined()
                }
                #expect(entry[2] as? String == digest, "\(path) \(name): values differ from the independent reader's")
            }
        }
    }
}
