import Foundation
import PickleReader
import Tensors
import Testing

/// Hostile torch data: tensors reaching outside their storage, bad shapes and strides, storage
/// streams that lie. Each ends in a one-line error with a byte offset.
@Suite struct HostileTorchInputTests {
    @Test func storageOffsetAndSizeBeyondTheStorage() {
        let s = PickleBuilder.legacyFloatStorage([1, 2, 3, 4])
        let ok = PickleBuilder.torchTensor(storage: s, offset: 1, size: [3], stride: [1])
        #expect((try? load(ok).asTensor(path: "").floats()) == [2, 3, 4])  // the control case
        let b = PickleBuilder.torchTensor(storage: s, offset: 2, size: [3], stride: [1])
        expectWellFormed(loadError(b), "reach element 4 of a storage of 4")
        let far = PickleBuilder.torchTensor(storage: s, offset: 5, size: [0], stride: [1])
        expectWellFormed(loadError(far), "outside a storage of 4")
    }

    @Test func negativeShape() {
        let s = PickleBuilder.legacyFloatStorage([1, 2, 3, 4])
        expectWellFormed(loadError(PickleBuilder.torchTensor(storage: s, offset: 0, size: [-1, 2], stride: [2, 1])), "negative")
    }

    @Test func negativeStride() {
        let s = PickleBuilder.legacyFloatStorage([1, 2, 3, 4])
        expectWellFormed(loadError(PickleBuilder.torchTensor(storage: s, offset: 3, size: [4], stride: [-1])), "negative stride")
    }

    @Test func overflowingShape() {
        let s = PickleBuilder.legacyFloatStorage([1, 2, 3, 4])
        expectWellFormed(loadError(PickleBuilder.torchTensor(storage: s, offset: 0, size: [1 << 62, 1 << 62], stride: [0, 0])), "more elements than fit")
    }

    @Test func overflowingStride() {
        let s = PickleBuilder.legacyFloatStorage([1, 2, 3, 4])
        expectWellFormed(loadError(PickleBuilder.torchTensor(storage: s, offset: 0, size: [4, 2], stride: [1 << 62, 1])), "overflows")
    }

    @Test func broadcastStrideCannotForceAHugeCopy() {
        // 2^34 elements over one stored float (stride 0): 64 GiB if copied; refused before allocating.
        let s = PickleBuilder.legacyFloatStorage([1])
        expectWellFormed(loadError(PickleBuilder.torchTensor(storage: s, offset: 0, size: [1 << 17, 1 << 17], stride: [0, 0])),
                         "PickleLimits.maxDecodedBytes", kind: .limit)
    }

    @Test func storageCountDisagreeingWithItsId() {
        let s = PickleBuilder.legacyFloatStorage([1, 2, 3, 4], declared: 5)
        expectWellFormed(loadError(PickleBuilder.torchTensor(storage: s, offset: 0, size: [4], stride: [1])), "has 4 elements here but 5")
    }

    @Test func loadFromBytesMayNotNest() {
        // A legacy stream whose main pickle calls _load_from_bytes again.
        var inner = PickleBuilder()
        inner.op(0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E)
        inner.op(0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E)
        inner.op(0x80, 0x02, 0x7D, 0x28); inner.ustr("little_endian"); inner.op(0x88, 0x75, 0x2E)
        inner.op(0x80, 0x02); inner.global("torch.storage", "_load_from_bytes"); inner.op(0x43, 0x00, 0x85, 0x52, 0x2E)
        var b = PickleBuilder()
        b.op(0x80, 0x04); b.global("torch.storage", "_load_from_bytes")
        b.op(0x42); b.u32(UInt32(inner.bytes.count)); b.bytes += inner.bytes
        b.op(0x85, 0x52, 0x2E)
        expectWellFormed(loadError(b), "inside a torch stream", kind: .unsupported)
    }
    @Test func truncatedTorchZip() throws {
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: Fixture.path("torch-zip.pt"))))
        var loaded = 0
        for n in stride(from: 0, to: bytes.count, by: 7) {
            if (try? TorchCheckpoint.load(SharedBytes(Array(bytes[0..<n])), name: "t.pt")) != nil { loaded += 1 }
        }
        #expect(loaded == 0)
    }
}
