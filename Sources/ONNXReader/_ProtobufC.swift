#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
internal import CONNXProto
internal import CProtobufC
import Tensors

/// The only place that calls libprotobuf-c: unpacking with a capped allocator, and freeing.
enum _ProtobufC {
    static var version: String { String(cString: protobuf_c_version()) }

    /// How much libprotobuf-c may still allocate for one decode; shared with the C callbacks
    /// through `allocator_data`.
    final class Budget {
        var remaining: Int
        private(set) var exceeded = false
        private(set) var requested = 0
        init(_ limit: Int) { remaining = limit }

        func take(_ size: Int) -> Bool {
            requested &+= size
            guard size <= remaining else {
                exceeded = true
                return false
            }
            remaining -= size
            return true
        }
    }

    /// Outcome of `unpack`: the decoded model (to be freed with `release`), or why there is none.
    enum Unpacked {
        case model(UnsafeMutablePointer<Onnx__ModelProto>)
        case overBudget(requested: Int)
        case rejected
    }

    /// Decodes `bytes` into protobuf-c's structures. Every allocation goes through `budget`
    /// (malloc underneath, so buffers taken over by `takeRawData` are released with `free`).
    static func unpack(_ bytes: UnsafeRawBufferPointer, budget: Budget) -> Unpacked {
        var allocator = makeAllocator(budget)
        let message = withExtendedLifetime(budget) {
            protobuf_c_message_unpack(sg_onnx_model_descriptor(), &allocator, bytes.count,
                                      bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
        }
        guard let message else { return budget.exceeded ? .overBudget(requested: budget.requested) : .rejected }
        return .model(UnsafeMutableRawPointer(message).assumingMemoryBound(to: Onnx__ModelProto.self))
    }

    /// Frees everything `unpack` allocated (fields set to nil by `takeRawData` are skipped).
    static func release(_ model: UnsafeMutablePointer<Onnx__ModelProto>, budget: Budget) {
        var allocator = makeAllocator(budget)
        withExtendedLifetime(budget) {
            protobuf_c_message_free_unpacked(UnsafeMutableRawPointer(model).assumingMemoryBound(to: ProtobufCMessage.self), &allocator)
        }
    }

    private static func makeAllocator(_ budget: Budget) -> ProtobufCAllocator {
        ProtobufCAllocator(
            alloc: { data, size in
                let budget = Unmanaged<Budget>.fromOpaque(data!).takeUnretainedValue()
                guard budget.take(size) else { return nil }
                return malloc(max(size, 1))
            },
            free: { _, pointer in free(pointer) },
            allocator_data: Unmanaged.passUnretained(budget).toOpaque())
    }

    /// Moves a tensor's raw_data buffer out of the decoded structure (so it is not copied):
    /// the field is cleared, and the returned storage frees the buffer when the last tensor
    /// using it goes away.
    static func takeRawData(_ t: UnsafeMutablePointer<Onnx__TensorProto>) -> SharedBytes? {
        let count = t.pointee.raw_data.len
        guard count > 0, let data = t.pointee.raw_data.data else { return nil }
        t.pointee.raw_data.data = nil
        t.pointee.raw_data.len = 0
        let region = UnsafeRawBufferPointer(start: UnsafeRawPointer(data), count: count)
        return SharedBytes(unsafeOwning: region) { r in free(UnsafeMutableRawPointer(mutating: r.baseAddress)) }
    }
}
