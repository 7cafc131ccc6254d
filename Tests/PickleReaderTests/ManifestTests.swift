import Foundation
import PickleReader
import Tensors
import Testing

/// The same payload pickled by CPython at protocols 0–5 (Fixtures/pickles/make_pickles.py)
/// reads back as Python itself read it (manifest.json).
@Suite struct ManifestTests {
    nonisolated(unsafe) static let manifest = try! Fixture.json("manifest.json")

    @Test(arguments: 0...5)
    func protocolMatchesPython(_ proto: Int) throws {
        let info = (Self.manifest["protocols"] as! [String: Any])["\(proto)"] as! [String: Any]
        let value = try Pickle.load(path: Fixture.path(info["file"] as! String))
        let issues = Issues()
        compare(value, Self.manifest["value"]!, path: "", proto: proto, issues: issues)
        #expect(issues.list.isEmpty, "protocol \(proto): \(issues.list.prefix(10).joined(separator: "; "))")

        // Memo sharing: the same container, not a copy (as `is` in Python).
        let identity = Self.manifest["identity"] as! [String: Bool]
        let root = PickleNode(value)
        let l = try root.get("shared_list").elements()
        if case .list(let a) = l[0].value, case .list(let b) = l[1].value { #expect((a === b) == identity["shared_list"]) } else { Issue.record("shared_list") }
        let d = try root.get("shared_dict").elements()
        if case .dict(let a) = d[0].value, case .dict(let b) = d[1].value {
            #expect((a === b) == identity["shared_dict"])
            #expect(a["filled"].map { "\($0)" } == "'later'")  // filled after memoization, seen through GET
        } else { Issue.record("shared_dict") }
        let selfRef = try root.get("self_ref")
        if case .dict(let a) = selfRef.value, case .dict(let b)? = a["self"] { #expect((a === b) == identity["self_ref"]) } else { Issue.record("self_ref") }
    }

    /// Appends a message to `issues` for each difference.
    func compare(_ v: PickleValue, _ e: Any, path: String, proto: Int, issues: Issues) {
        let e = e as! [String: Any]
        func fail(_ why: String) { issues.list.append("\(path.isEmpty ? "<root>" : path): \(why), got \(v.description)") }
        switch (e["t"] as! String, v) {
        case ("none", .none): break
        case ("bool", .bool(let b)): if b != e["v"] as! Bool { fail("bool") }
        case ("int", .int(let i)): if String(i) != e["v"] as! String { fail("int \(e["v"]!)") }
        case ("int", .bigInt(let s)): if s != e["v"] as! String { fail("int \(e["v"]!)") }
        case ("float", .float(let d)):
            let x = Double(e["v"] as! String)!
            if !(d.bitPattern == x.bitPattern || (d.isNaN && x.isNaN)) { fail("float \(e["v"]!)") }
        case ("str", .string(let s)): if s != e["v"] as! String { fail("str \(e["v"]!)") }
        case ("bytes", .bytes(let b)):
            if b.isByteArray || b.array.map({ String(format: "%02x", $0) }).joined() != e["hex"] as! String { fail("bytes") }
        case ("bytearray", .bytes(let b)):
            if !b.isByteArray || b.array.map({ String(format: "%02x", $0) }).joined() != e["hex"] as! String { fail("bytearray") }
        case ("bytearray", .object(let o)) where proto < 5:
            // Before protocol 5 a bytearray is REDUCE builtins.bytearray: not on the allowlist.
            if o.kind != .foreign || o.global.qualifiedName != "builtins.bytearray" { fail("foreign bytearray") }
        case ("tuple", .tuple(let t)): compareItems(t.items, e, path, proto, issues, fail)
        case ("list", .list(let l)): compareItems(l.items, e, path, proto, issues, fail)
        case ("set", .set(let s)), ("frozenset", .set(let s)):
            if s.isFrozen != (e["t"] as! String == "frozenset") { fail("set kind") }
            // Python's order is arbitrary: match each expected element to one of ours.
            let items = e["items"] as! [Any]
            if items.count != s.items.count { fail("set size") }
            for x in items where !s.items.contains(where: { let i = Issues(); compare($0, x, path: "", proto: proto, issues: i); return i.list.isEmpty }) {
                fail("set lacks \(x)")
            }
        case ("dict", .dict(let d)):
            if d.className != e["class"] as? String { fail("dict class \(String(describing: e["class"]))") }
            if e["self_reference"] != nil {
                if case .dict(let inner)? = d["self"], inner === d {} else { fail("self reference") }
                return
            }
            let items = e["items"] as! [[Any]]
            if items.count != d.count { fail("dict size \(items.count)"); return }
            for (i, kv) in items.enumerated() {
                compare(d.keys[i], kv[0], path: path + "/<key \(i)>", proto: proto, issues: issues)
                compare(d.values[i], kv[1], path: path + "/\(d.keys[i].shortDescription)", proto: proto, issues: issues)
            }
        case ("tensor", _):
            guard let t = try? v.asTensor(path: path) else { return fail("tensor") }
            if t.dtype.rawValue != e["dtype"] as! String || t.shape.dims != e["shape"] as! [Int] || t.hex != e["hex"] as! String {
                fail("tensor \(e["dtype"]!) \(e["shape"]!)")
            }
        case ("network", .object(let o)):
            guard o.kind == .network, let state = o.state else { return fail("network") }
            compare(state, e["state"]!, path: path + "/<state>", proto: proto, issues: issues)
        case ("foreign", .object(let o)):
            guard o.kind == .foreign, o.global.qualifiedName == e["global"] as! String, let state = o.state else { return fail("foreign") }
            compare(state, e["state"]!, path: path + "/<state>", proto: proto, issues: issues)
            // Inert: needing it as data is an error naming the global.
            do { _ = try v.asTensor(path: path); fail("foreign used as tensor") } catch {
                if error.kind != .forbidden || !error.description.contains("fixture_foreign.Gadget is not allowed") { fail("error \(error)") }
            }
        default: fail("expected \(e["t"]!)")
        }
    }

    func compareItems(_ items: [PickleValue], _ e: [String: Any], _ path: String, _ proto: Int, _ issues: Issues, _ fail: (String) -> Void) {
        let expected = e["items"] as! [Any]
        if expected.count != items.count { return fail("\(expected.count) items") }
        for (i, (v, x)) in zip(items, expected).enumerated() { compare(v, x, path: path + "[\(i)]", proto: proto, issues: issues) }
    }
}

final class Issues: @unchecked Sendable { var list: [String] = [] }
