/// Float storage at a fixed address, allocated once and never zeroed (every step writes its
/// whole output before anything reads it): the activation arena of a planned run.
final class Arena: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        // 64-byte alignment: whole cache lines, and the kernels' vector loads never split one.
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit { base.deallocate() }

    subscript(slot: ActivationPlan.Slot) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: base + slot.offset, count: slot.count)
    }
}

extension Array where Element == Int {
    /// The product of the elements (a shape's element count), in a plain loop for the same reason
    /// as `copy`: the generic `reduce` allocates in debug builds.
    var product: Int {
        var p = 1
        for i in indices { p *= self[i] }
        return p
    }
}

/// Copies `source` to the start of `destination`: pointer to pointer, not through the generic
/// `Sequence` paths, whose unspecialised (debug build) forms allocate iterators.
func copy(_ source: UnsafeBufferPointer<Float>, to destination: UnsafeMutableBufferPointer<Float>) {
    precondition(source.count <= destination.count, "copy: \(source.count) floats into \(destination.count)")
    guard let s = source.baseAddress, let d = destination.baseAddress else { return }
    d.update(from: s, count: source.count)
}

extension Value {
    /// A value holding a copy of `data` (one allocation).
    init(copying data: UnsafeBufferPointer<Float>, dims: [Int]) {
        self.init(data: [Float](unsafeUninitializedCapacity: data.count) { buffer, initialized in
            copy(data, to: buffer)
            initialized = data.count
        }, dims: dims)
    }
}
