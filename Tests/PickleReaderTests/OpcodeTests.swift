import Foundation
import PickleReader
import Tensors
import Testing

/// Opcodes and argument encodings that CPython no longer writes (or writes only in corners),
/// hand-assembled; expected values follow CPython's `pickle.py`.
@Suite struct OpcodeTests {
    func value(_ text: String, _ extra: [UInt8] = []) throws -> PickleValue {
        var b = PickleBuilder()
        b.bytes = Array(text.utf8) + extra
        return try load(b)
    }

    @Test func protocolZeroScalars() throws {
        #expect(try value("I01\n.").shortDescription == "True")
        #expect(try value("I00\n.").shortDescription == "False")
        #expect(try value("I-42\n.").shortDescription == "-42")
        #expect(try value("L123456789012345678901234567890L\n.").shortDescription == "123456789012345678901234567890")
        #expect(try value("L-9223372036854775808\n.").shortDescription == "-9223372036854775808")
        #expect(try value("F-2.5e-3\n.").shortDescription == "-0.0025")
        // Python: pickle.loads(b"S'a\\x41\\n\\'\\101\\q'\n.", encoding='latin1') == "aA\n'A\\q"
        #expect(try value("S'a\\x41\\n\\'\\101\\q'\n.").asString(path: "") == "aA\n'A\\q")
        // An even run of backslashes before u is not an escape (raw-unicode-escape).
        #expect(try value("V\\u00e9\\\\u0041\\U0001d11e\n.").asString(path: "") == "é\\\\u0041𝄞")
    }

    @Test func binaryStringsAreLatin1() throws {
        #expect(try value("U\u{03}", [0x61, 0xE9, 0xFF, 0x2E]).shortDescription == "'aéÿ'")
        #expect(try value("T", [2, 0, 0, 0, 0x68, 0x69, 0x2E]).shortDescription == "'hi'")
    }

    @Test func longIntegers() throws {
        // LONG1/LONG4: little-endian two's complement (ff → -1; 00 80 → -32768).
        #expect(try value("", [0x80, 0x02, 0x8A, 0x01, 0xFF, 0x2E]).shortDescription == "-1")
        #expect(try value("", [0x80, 0x02, 0x8A, 0x02, 0x00, 0x80, 0x2E]).shortDescription == "-32768")
        #expect(try value("", [0x80, 0x02, 0x8A, 0x00, 0x2E]).shortDescription == "0")
        // 2^64 and -(2^64) + 1 need nine bytes.
        #expect(try value("", [0x80, 0x02, 0x8A, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x2E]).shortDescription == "18446744073709551616")
        #expect(try value("", [0x80, 0x02, 0x8B, 0x09, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0x2E]).shortDescription == "-18446744073709551615")
    }

    @Test func popRemovesAnEmptyMark() throws {
        // MARK POP: CPython's POP on an empty mark level discards the mark.
        #expect(try value("(0N.").shortDescription == "None")
    }

    @Test func dupAndMemoText() throws {
        let v = try value("]p3\n2a0g3\n.")  // [] PUT 3, DUP, APPEND (list into itself), POP, GET 3
        guard case .list(let l) = v, case .list(let inner)? = l.items.first else { Issue.record("\(v)"); return }
        #expect(inner === l)
    }

    @Test func instAndObjMakeInertObjects() throws {
        let inst = try value("(I1\nimymod\nThing\n.")
        guard case .object(let a) = inst else { Issue.record("\(inst)"); return }
        #expect(a.kind == .foreign && a.global.qualifiedName == "mymod.Thing" && a.args.count == 1)
        let obj = try value("(cmymod\nThing\nI2\no.")
        guard case .object(let b) = obj else { Issue.record("\(obj)"); return }
        #expect(b.kind == .foreign && b.args.count == 1)
        // INST of an allowlisted class still gets its behaviour.
        let od = try value("(icollections\nOrderedDict\n.")
        guard case .dict(let d) = od else { Issue.record("\(od)"); return }
        #expect(d.className == "collections.OrderedDict")
    }

    @Test func newObjExRecordsKeywordArguments() throws {
        var b = PickleBuilder()
        b.op(0x80, 0x04); b.str("m"); b.str("C"); b.op(0x93, 0x29, 0x7D); b.str("k"); b.op(0x4B, 0x01, 0x73, 0x92, 0x2E)
        guard case .object(let o) = try load(b) else { Issue.record("not an object"); return }
        #expect(o.kind == .foreign && o.args.count == 1)  // the kwargs dict
    }

    @Test func networkBuildSetsState() throws {
        var b = PickleBuilder()
        b.op(0x80, 0x04); b.str("dnnlib.tflib.network"); b.str("Network"); b.op(0x93, 0x29, 0x81)
        b.op(0x7D); b.str("name"); b.str("Gs"); b.op(0x73, 0x62, 0x2E)  // {'name': 'Gs'} BUILD
        let n = PickleNode(try load(b))
        #expect(try n.object().kind == .network)
        #expect(try n.get("name").string() == "Gs")
    }

    @Test func persistentIdText() throws {
        // PERSID is parsed (as text) and refused, since a plain pickle defines no persistent ids.
        var b = PickleBuilder()
        b.text("Pabc\n.")
        #expect(loadError(b)?.description.contains("persistent id") == true)
    }

    @Test func frozensetAndAddItems() throws {
        var b = PickleBuilder()
        b.op(0x80, 0x04, 0x8F, 0x28, 0x4B, 0x01, 0x4B, 0x01, 0x4B, 0x02, 0x90, 0x2E)  // set() + {1, 1, 2}
        guard case .set(let s) = try load(b) else { Issue.record("not a set"); return }
        #expect(s.items.count == 2 && !s.isFrozen)
        var f = PickleBuilder()
        f.op(0x80, 0x04, 0x28, 0x88, 0x4B, 0x01, 0x91, 0x2E)  // frozenset({True, 1}) has one element
        guard case .set(let fs) = try load(f) else { Issue.record("not a set"); return }
        #expect(fs.items.count == 1 && fs.isFrozen)
    }

    @Test func dictKeysFollowPythonEquality() throws {
        // {1: 'a', True: 'b', 1.0: 'c'} is one entry in Python: key 1, value 'c'.
        var b = PickleBuilder()
        b.op(0x80, 0x04, 0x7D, 0x28, 0x4B, 0x01); b.str("a"); b.op(0x88); b.str("b")
        b.op(0x47, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0); b.str("c"); b.op(0x75, 0x2E)
        guard case .dict(let d) = try load(b) else { Issue.record("not a dict"); return }
        #expect(d.count == 1)
        #expect(d.values.first?.shortDescription == "'c'")
    }

    @Test func listsAsKeysAreUnhashable() {
        var b = PickleBuilder()
        b.op(0x80, 0x04, 0x7D, 0x5D, 0x4E, 0x73, 0x2E)
        #expect(loadError(b)?.description.contains("unhashable") == true)
    }

    @Test func numpyArrayOfUnsupportedDtypeIsSkippableButNotUsable() throws {
        // np.array([1, 2], dtype='<u4') pickled at protocol 4: u4 has no tensor type here.
        var b = PickleBuilder()
        b.op(0x80, 0x04)
        b.global("numpy.core.multiarray", "_reconstruct"); b.global("numpy", "ndarray")
        b.op(0x4B, 0x00, 0x85); b.op(0x43, 0x01, 0x62); b.op(0x87, 0x52)  // (ndarray, (0,), b'b')
        b.op(0x28, 0x4B, 0x01, 0x4B, 0x02, 0x85)  // (1, (2,),
        b.global("numpy", "dtype"); b.str("u4"); b.op(0x89, 0x88, 0x87, 0x52)
        b.op(0x28, 0x4B, 0x03); b.str("<"); b.op(0x4E, 0x4E, 0x4E, 0x4A); b.u32(UInt32(bitPattern: -1))
        b.op(0x4A); b.u32(UInt32(bitPattern: -1)); b.op(0x4B, 0x00, 0x74, 0x62)  // dtype state, BUILD
        b.op(0x89, 0x43, 0x08, 1, 0, 0, 0, 2, 0, 0, 0, 0x74, 0x62, 0x2E)  // False, data, TUPLE, BUILD
        let v = try load(b)
        do { _ = try v.asTensor(path: "D/x"); Issue.record("no error") } catch {
            #expect(error.kind == .unsupported)
            #expect(error.description.contains("'u4'"))
            #expect(error.offset != nil)
        }
    }
}
