import Foundation
@testable import PickleReader
import Tensors
import TestSupport
import Testing

/// Pickles can build containers that contain themselves (CPython allows it; the reader keeps
/// them, see ManifestTests' `self_ref`). Reference counting never frees a cycle, so the fuzzer's
/// LeakSanitizer reported every such input: cyclic leftovers are now dismantled by the VM, and
/// a cyclic result by `PickleValue.dismantle()`.
@Suite struct CycleReleaseTests {
    func bytes(_ name: String) throws -> SharedBytes {
        SharedBytes(try [UInt8](Data(contentsOf: TestPaths.fixtures.appendingPathComponent("fuzz-regressions/pickle/\(name)"))))
    }

    @Test func dismantleFreesACyclicResult() throws {
        weak var list: PickleList?
        weak var dict: PickleDict?
        do {
            let v = try Pickle.load(try bytes("accepted-leak-cyclic-result.pkl"))  // [l, d]: l = [l], d = {'s': d}
            guard case .list(let root) = v, case .list(let l) = root.items[0], case .dict(let d) = root.items[1] else {
                Issue.record("unexpected \(v)"); return
            }
            #expect(l.items.count == 1 && d.count == 1)
            list = l
            dict = d
            v.dismantle()
        }
        #expect(list == nil && dict == nil)
    }

    @Test func cyclicLeftoversAreDismantledAfterSuccessAndAfterErrors() throws {
        for (name, fails) in [("accepted-leak-cycle-left-in-memo.pkl", false), ("leak-cycle-then-error.pkl", true),
                              ("leak-cycle-then-leftover-stack.pkl", true),
                              // BUILD keeps a dtype's state (which holds the dtype) and then refuses it.
                              ("leak-dtype-build-state-cycle-minimal.pkl", true),
                              // A list appended to itself (via DUP), then popped: held by nothing else.
                              ("accepted-leak-popped-self-append.pkl", false)] {
            let source = try bytes(name)
            let context = PickleContext(limits: .default, sourceSize: source.count)
            var vm = try PickleMachine(source, range: 0..<source.count, context: context)
            #expect(((try? vm.run()) == nil) == fails, "\(name)")
            #expect(context.mayHaveCycles, "\(name)")
            #expect(vm.memo.isEmpty && vm.stack.isEmpty && vm.cycleSuspects.isEmpty, "\(name): leftovers released")
        }
    }

    @Test func acyclicPicklesAreNotWalked() throws {
        // Official-style pickles share containers through the memo but never mutate them later.
        let source = SharedBytes(try [UInt8](Data(contentsOf: TestPaths.fixtures.appendingPathComponent("official-code/ada-gray-clamp-16.pkl"))))
        let context = PickleContext(limits: .default, sourceSize: source.count)
        var vm = try PickleMachine(source, range: 0..<source.count, context: context)
        _ = try vm.run()
        #expect(!context.mayHaveCycles)
    }
}
