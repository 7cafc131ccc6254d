import Foundation
import PickleReader
import Tensors
import Testing

/// Hostile and malformed inputs: each ends in a one-line error with a byte offset, without
/// crashing, running anything or allocating much.
@Suite struct HostileInputTests {
    let marker = FileManager.default.temporaryDirectory.appendingPathComponent("pickle-reader-must-not-exist-\(getpid())").path

    @Test func osSystemViaGlobalAndReduceRunsNothing() throws {
        var b = PickleBuilder()
        b.global("os", "system")
        b.op(0x28); b.text("S'touch \(marker)'\n"); b.op(0x74, 0x52, 0x2E)  // MARK STRING TUPLE REDUCE STOP
        let v = try load(b)  // inert: parsing succeeds
        #expect(!FileManager.default.fileExists(atPath: marker))
        guard case .object(let o) = v else { Issue.record("not an object: \(v)"); return }
        #expect(o.kind == .foreign && o.global.qualifiedName == "os.system")
        var error: PickleError?
        do { _ = try v.asTensor(path: "G_ema/x") } catch let e { error = e }
        expectWellFormed(error, "global os.system is not allowed", kind: .forbidden)
        #expect(error?.description.contains("G_ema/x") == true)
        #expect(error?.offset == b.bytes.count - 2)  // the REDUCE opcode that made it
    }

    @Test func osSystemViaStackGlobalRunsNothing() throws {
        var b = PickleBuilder()
        b.op(0x80, 0x04); b.str("os"); b.str("system"); b.op(0x93)  // STACK_GLOBAL
        b.str("touch \(marker)"); b.op(0x85, 0x52, 0x2E)  // TUPLE1 REDUCE STOP
        let v = try load(b)
        #expect(!FileManager.default.fileExists(atPath: marker))
        do { _ = try PickleNode(v, path: "G").int(); Issue.record("no error") } catch {
            expectWellFormed(error, "global os.system is not allowed", kind: .forbidden)
        }
    }

    @Test func unlistedCallableFeedingAnAllowedFunctionIsAnError() {
        // _rebuild_tensor_v2(builtins.eval('...'), ...): the allowed function gets a foreign value.
        var b = PickleBuilder()
        b.op(0x80, 0x04)
        b.global("torch._utils", "_rebuild_tensor_v2")
        b.op(0x28)
        b.global("builtins", "eval"); b.str("__import__('os')"); b.op(0x85, 0x52)
        b.long(0); b.tupleOfLongs([1]); b.tupleOfLongs([1]); b.op(0x89)
        b.global("collections", "OrderedDict"); b.op(0x29, 0x52)
        b.op(0x74, 0x52, 0x2E)
        expectWellFormed(loadError(b), "builtins.eval", kind: .forbidden)
    }

    @Test func memoIndexNeverSet() {
        var b = PickleBuilder()
        b.op(0x80, 0x02, 0x4E, 0x71, 0x00, 0x68, 0x05, 0x2E)  // None BINPUT 0, BINGET 5
        expectWellFormed(loadError(b), "memo index 5 was never set")
        #expect(loadError(b)?.offset == 5)
    }

    @Test func stackUnderflow() {
        for ops: [UInt8] in [[0x52, 0x2E], [0x30, 0x2E], [0x2E], [0x4E, 0x86, 0x2E], [0x28, 0x4E, 0x28, 0x85, 0x2E]] {
            var b = PickleBuilder()
            b.bytes = ops
            expectWellFormed(loadError(b), "underflow")
        }
    }

    @Test func popMarkWithoutMark() {
        var b = PickleBuilder()
        b.op(0x4E, 0x31, 0x2E)
        expectWellFormed(loadError(b), "POP_MARK without a MARK")
        #expect(loadError(b)?.offset == 1)
    }

    @Test func appendsWithoutMark() {
        var b = PickleBuilder()
        b.op(0x5D, 0x4E, 0x65, 0x2E)  // [] None APPENDS
        expectWellFormed(loadError(b), "APPENDS without a MARK")
    }

    @Test func millionDeepListsHitTheStackLimit() {
        var b = PickleBuilder()
        b.bytes = [UInt8](repeating: 0x5D, count: 1_000_000) + [UInt8](repeating: 0x61, count: 999_999) + [0x2E]
        expectWellFormed(loadError(b), "PickleLimits.maxStackDepth", kind: .limit)
        #expect(loadError(b)?.offset == 100_000)
    }

    @Test func millionOpenMarksHitTheMarkLimit() {
        var b = PickleBuilder()
        b.bytes = [UInt8](repeating: 0x28, count: 1_000_000) + [0x2E]
        expectWellFormed(loadError(b), "PickleLimits.maxMarkDepth", kind: .limit)
    }

    @Test func millionDeepTuplesHitTheNestingLimit() {
        // () then TUPLE1 10^6 times: one stack slot, 10^6 levels.
        var b = PickleBuilder()
        b.bytes = [0x29] + [UInt8](repeating: 0x85, count: 1_000_000) + [0x2E]
        expectWellFormed(loadError(b), "PickleLimits.maxNestingDepth", kind: .limit)
        #expect(loadError(b)?.offset == 1000)  // the TUPLE1 that makes level 1001
    }

    @Test func millionDeepTreeIsBuiltAndReleasedWithoutRecursion() throws {
        // With the nesting bound lifted, a 10^6-deep tuple chain and a 10^6-deep list chain built
        // through the memo (each list appended to after it was nested) load and are freed.
        var limits = PickleLimits()
        limits.maxNestingDepth = .max
        var t = PickleBuilder()
        t.bytes = [0x29] + [UInt8](repeating: 0x85, count: 1_000_000) + [0x2E]
        var v: PickleValue? = try load(t, limits: limits)
        #expect(v?.nestingDepth == 1_000_001)
        v = nil
        var l = PickleBuilder()
        l.op(0x5D, 0x71, 0x00, 0x71, 0x01)  // root = [] → memo 0 (root) and 1 (tail)
        for _ in 0..<1_000_000 {
            l.op(0x30, 0x68, 0x01, 0x5D, 0x71, 0x01, 0x61)  // POP, GET tail, [] PUT tail, APPEND
        }
        l.op(0x30, 0x68, 0x00, 0x2E)  // POP, GET root, STOP
        let root = try load(l)  // default limits: the recorded depth stays 2
        if case .list(let r) = root { #expect(r.items.count == 1) } else { Issue.record("not a list") }
        _ = root.description  // bounded rendering
    }

    @Test func binBytes8DeclaringTwoToTheSixtyTwo() {
        var b = PickleBuilder()
        b.op(0x80, 0x04, 0x8E); b.u64(1 << 62); b.op(0x2E)
        expectWellFormed(loadError(b), "declares 4611686018427387904 bytes", kind: .truncated)
        #expect(loadError(b)?.offset == 2)
    }

    @Test func frameLongerThanTheFile() {
        var b = PickleBuilder()
        b.op(0x80, 0x04, 0x95); b.u64(1000); b.op(0x4E, 0x2E)
        expectWellFormed(loadError(b), "FRAME declares 1000 bytes", kind: .truncated)
    }

    @Test func frameEndingInsideAnOpcode() {
        // The frame claims 3 bytes, but SHORT_BINUNICODE needs 2 + 5.
        var b = PickleBuilder()
        b.op(0x80, 0x04, 0x95); b.u64(3); b.str("hello"); b.op(0x2E)
        expectWellFormed(loadError(b), "past the end of its frame")
    }

    @Test func frameStartingInsideAFrame() {
        var b = PickleBuilder()
        b.op(0x80, 0x04, 0x95); b.u64(12); b.op(0x95); b.u64(2); b.op(0x4E, 0x2E, 0x2E)
        expectWellFormed(loadError(b), "FRAME starts")
    }

    @Test func trailingBytesAfterStop() {
        var b = PickleBuilder()
        b.op(0x80, 0x02, 0x4E, 0x2E, 0x00, 0x00)
        expectWellFormed(loadError(b), "2 bytes follow STOP")
        #expect(loadError(b)?.offset == 4)
    }

    @Test(arguments: ["payload-p0.pkl", "payload-p2.pkl", "payload-p4.pkl", "payload-p5.pkl", "torch-pickled.pkl"])
    func everyTruncationIsAnError(_ name: String) throws {
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: Fixture.path(name))))
        _ = try Pickle.load(SharedBytes(bytes))  // the whole file is valid
        var failures = 0
        for n in 0..<bytes.count {
            do { _ = try Pickle.load(SharedBytes(Array(bytes[0..<n]))); failures += 1 } catch {
                if error.offset == nil || error.description.contains("\n") { failures += 1 }
            }
        }
        #expect(failures == 0, "\(name): \(failures) prefixes loaded or gave a malformed error")
    }

    @Test func extensionCodesAreRejected() {
        var b = PickleBuilder()
        b.op(0x80, 0x02, 0x82, 0x01, 0x2E)
        expectWellFormed(loadError(b), "EXT", kind: .unsupported)
    }

    @Test func outOfBandBuffersAreRejected() {
        var b = PickleBuilder()
        b.op(0x80, 0x05, 0x97, 0x2E)
        expectWellFormed(loadError(b), "out-of-band", kind: .unsupported)
        var r = PickleBuilder()
        r.op(0x80, 0x05, 0x43, 0x01, 0x41, 0x98, 0x2E)
        expectWellFormed(loadError(r), "out-of-band", kind: .unsupported)
    }

    @Test func memoLimit() {
        var limits = PickleLimits()
        limits.maxMemoEntries = 10
        var b = PickleBuilder()
        b.op(0x80, 0x04)
        for _ in 0..<11 { b.op(0x4E, 0x94, 0x30) }  // None MEMOIZE POP
        b.op(0x4E, 0x2E)
        expectWellFormed(loadError(b, limits: limits), "PickleLimits.maxMemoEntries", kind: .limit)
    }

    @Test func hugeLong4IsCheckedBeforeReading() {
        var b = PickleBuilder()
        b.op(0x80, 0x02, 0x8B); b.u32(0x7FFF_FFFF); b.op(0x2E)
        expectWellFormed(loadError(b), "LONG4 declares 2147483647 bytes", kind: .truncated)
    }

    @Test func persistentIdWithoutLoader() {
        var b = PickleBuilder()
        b.op(0x80, 0x02, 0x4E, 0x51, 0x2E)
        expectWellFormed(loadError(b), "persistent id", kind: .unsupported)
    }

    @Test func repeatedCopiesOfOneBigListHitTheBudget() {
        // A 10^4-element list, then set(list) 10^5 times: 10^9 elements from 700 kB of input.
        var b = PickleBuilder()
        b.op(0x80, 0x04); b.global("builtins", "set"); b.op(0x94)  // memo 0
        b.op(0x5D, 0x94, 0x28)  // [] memo 1, MARK
        for i in 0..<10_000 { b.op(0x4B, UInt8(i % 256)) }
        b.op(0x65, 0x30)  // APPENDS, POP
        for _ in 0..<100_000 { b.op(0x68, 0x00, 0x68, 0x01, 0x85, 0x52, 0x30) }
        b.op(0x4E, 0x2E)
        expectWellFormed(loadError(b), "PickleLimits.maxDecodedBytes", kind: .limit)
    }

    @Test func repeatedBigTupleKeysHitTheBudget() {
        // Keys (t, i) for one memoized 4000-element tuple t: 4001 key nodes per 8 input bytes.
        var b = PickleBuilder()
        b.op(0x80, 0x04, 0x28)
        for i in 0..<4000 { b.op(0x4B, UInt8(i % 256)) }
        b.op(0x74, 0x94, 0x30, 0x7D)  // TUPLE memo 0, POP, {}
        for i in 0..<100_000 { b.op(0x68, 0x00, 0x4A); b.u32(UInt32(i)); b.op(0x86, 0x4E, 0x73) }
        b.op(0x2E)
        expectWellFormed(loadError(b), "PickleLimits.maxDecodedBytes", kind: .limit)
    }
}
