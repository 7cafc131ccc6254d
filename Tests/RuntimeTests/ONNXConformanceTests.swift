import Foundation
import Testing
import FileFormats
import Importers
import LayerGraph
import Runtime
import Tensors
import TestSupport

/// ONNX's own operator conformance cases (onnx.backend.test.case.node, written to
/// Fixtures/onnx-conformance by make_cases.py) for the ops we support, run through the generic
/// runner (`ONNXProgramImporter` + `PrimitiveProgramRunner`) and compared within each case's
/// tolerance (rtol 1e-3, atol 1e-7 unless the case says otherwise). Cases using attributes or
/// types we do not implement must fail with an "unsupported" error; everything else must pass.
/// Prints, per op, passed / run and the unsupported cases with our error.
@Suite struct ONNXConformanceTests {
    static let folder = TestPaths.fixtures.appendingPathComponent("onnx-conformance")

    struct Case {
        var name: String
        var op: String
        var opset: Int
        var rtol: Double
        var atol: Double
        var inputs: [String]
        var outputs: [String]
    }

    enum Outcome {
        case passed
        case unsupported(String)
        case failed(String)
    }

    /// Cases known to disagree with ONNX (listed in the report); any other failure fails the test.
    static let knownFailures: [String: String] = [:]

    static func cases() throws -> [Case] {
        let data = try Data(contentsOf: folder.appendingPathComponent("manifest.json"))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return (json["cases"] as! [[String: Any]]).map { c in
            Case(name: c["name"] as! String, op: c["op"] as! String, opset: c["opset"] as! Int,
                 rtol: (c["rtol"] as! NSNumber).doubleValue, atol: (c["atol"] as! NSNumber).doubleValue,
                 inputs: c["inputs"] as! [String], outputs: c["outputs"] as! [String])
        }
    }

    static func run(_ c: Case) -> Outcome {
        let base = folder.appendingPathComponent("cases").appendingPathComponent(c.name)
        let arrays: [String: Tensor]
        do {
            arrays = Dictionary(uniqueKeysWithValues: try NPZ.read(path: base.path + ".npz").map { ($0.name.replacingOccurrences(of: ".npy", with: ""), $0.tensor) })
        } catch {
            return .failed("cannot read the case: \(error)")
        }
        var inputs: [String: Tensor] = [:]
        for (k, name) in c.inputs.enumerated() { inputs[name] = arrays["input_\(k)"] }
        let results: [(name: String, tensor: Tensor)]
        do {
            let program = try ONNXProgramImporter.importProgram(path: base.path + ".onnx", inputs: inputs.mapValues { ($0.dtype, $0.shape.dims) },
                                                                evaluator: PrimitiveInterpreter())
            results = try PrimitiveProgramRunner.run(program, inputs: inputs)
        } catch {
            let message = String(describing: error)
            return message.contains("unsupported") || message.contains("not supported") ? .unsupported(message) : .failed("error: \(message)")
        }
        for (k, name) in c.outputs.enumerated() {
            guard let want = arrays["output_\(k)"] else { return .failed("no expected output \(k)") }
            guard k < results.count, results[k].name == name else { return .failed("output \(k) (\(name)) missing") }
            let got = results[k].tensor
            guard got.shape.dims == want.shape.dims else { return .failed("output \(name): shape \(got.shape), expected \(want.shape)") }
            guard got.dtype == want.dtype else { return .failed("output \(name): element type \(got.dtype), expected \(want.dtype)") }
            let a = got.floats(), b = want.floats()
            for i in a.indices {
                let (x, y) = (Double(a[i]), Double(b[i]))
                if x.isNaN && y.isNaN { continue }
                if x == y { continue }
                if !(abs(x - y) <= c.atol + c.rtol * abs(y)) {
                    return .failed("output \(name)[\(i)] = \(x), expected \(y) (max |err| allowed \(c.atol + c.rtol * abs(y)))")
                }
            }
        }
        return .passed
    }

    @Test func operatorConformance() throws {
        let all = try Self.cases()
        #expect(all.count > 300)
        var byOp: [String: (run: Int, passed: Int, unsupported: [String], failed: [String])] = [:]
        var unexpected: [String] = []
        for c in all {
            let outcome = Self.run(c)
            var entry = byOp[c.op] ?? (0, 0, [], [])
            entry.run += 1
            switch outcome {
            case .passed: entry.passed += 1
            case .unsupported(let m): entry.unsupported.append("\(c.name) (opset \(c.opset)): \(m)")
            case .failed(let m):
                entry.failed.append("\(c.name) (opset \(c.opset)): \(m)")
                if Self.knownFailures[c.name] == nil { unexpected.append("\(c.name): \(m)") }
            }
            byOp[c.op] = entry
        }
        var report = ["ONNX conformance (onnx \(all.count) cases): op — passed / run [unsupported, failed]"]
        for (op, e) in byOp.sorted(by: { $0.key < $1.key }) {
            report.append("  \(op) — \(e.passed) / \(e.run)" + (e.unsupported.isEmpty && e.failed.isEmpty ? "" : " [\(e.unsupported.count) unsupported, \(e.failed.count) failed]"))
            for u in e.unsupported { report.append("      unsupported \(u)") }
            for f in e.failed { report.append("      FAILED \(f)") }
        }
        let passed = byOp.values.reduce(0) { $0 + $1.passed }
        report.append("total: \(passed) / \(all.count) passed")
        print(report.joined(separator: "\n"))
        #expect(unexpected.isEmpty, "\(unexpected.count) cases failed:\n\(unexpected.joined(separator: "\n"))")
        // Every op we claim runs at least one of ONNX's cases correctly (ops whose every case is
        // from an opset before 11, which we refuse, aside: And, Or, Xor, Not, Upsample).
        let modern = Set(all.filter { $0.opset >= 11 }.map(\.op))
        for (op, e) in byOp where !op.hasSuffix("(expanded)") && modern.contains(op) {
            #expect(e.passed > 0, "\(op): no case passed")
        }
        #expect(passed >= 420, "\(passed) cases passed")
    }
}
