import Testing
import Tensors

@Suite struct ShapeTests {
    @Test func countsAndStrides() throws {
        let s = try Shape([2, 3, 4])
        #expect(s.count == 24)
        #expect(s.strides == [12, 4, 1])
        #expect(Shape.scalar.count == 1)
    }

    @Test func zeroSizeDimensionsAreAllowed() throws {
        let labels = try Shape([4, 0])
        #expect(labels.count == 0)
        #expect(try labels.byteCount(of: .f32) == 0)
        // A zero dimension wins over dimensions whose product would overflow.
        #expect(try Shape([Int.max, Int.max, 0]).count == 0)
    }

    @Test func overflowAndNegativeDimensionsAreErrors() {
        #expect(throws: ShapeError.countOverflow([1 << 40, 1 << 40])) { try Shape([1 << 40, 1 << 40]) }
        #expect(throws: ShapeError.negativeDimension([3, -1])) { try Shape([3, -1]) }
        #expect(throws: ShapeError.self) { try Shape([1 << 61]).byteCount(of: .f64) }
    }
}

@Suite struct TensorTests {
    @Test func storesAndConvertsFloats() throws {
        let values: [Float] = [0, 1, -2.5, 65504, 0x1p-24]
        let t = try Tensor(.f32, shape: Shape([5]), floats: values)
        #expect(t.floats() == values)
        let h = t.converted(to: .f16)
        #expect(h.byteCount == 10)
        #expect(h.floats() == values)  // all representable in binary16
        #expect(t.converted(to: .bf16).floats() == [0, 1, -2.5, 65536, 0x1p-24])
        #expect(t.converted(to: .i32).floats() == [0, 1, -2, 65504, 0])
    }

    @Test func copyOnWriteKeepsCopiesApart() throws {
        let a = try Tensor(.f32, shape: Shape([2]), floats: [1, 2])
        var b = a
        b.withUnsafeMutableBytes { $0.storeBytes(of: Float(9).bitPattern, toByteOffset: 0, as: UInt32.self) }
        #expect(a.floats() == [1, 2])
        #expect(b.floats() == [9, 2])
    }

    @Test func viewsIntoSharedBytesAreCheckedAndZeroCopy() throws {
        var raw = [UInt8](repeating: 0, count: 12)
        raw[4...7] = [0, 0, 0x80, 0x3f]  // 1.0f little-endian at byte 4
        let bytes = SharedBytes(raw)
        let t = try Tensor(dtype: .f32, shape: Shape([2]), storage: bytes, offset: 4)
        #expect(t.floats() == [1, 0])
        #expect(throws: TensorError.self) { try Tensor(dtype: .f32, shape: Shape([3]), storage: bytes, offset: 4) }
        #expect(throws: TensorError.self) { try Tensor(dtype: .f32, shape: Shape([1]), storage: bytes, offset: -4) }
    }

    @Test func elementCountMustMatchShape() {
        #expect(throws: TensorError.self) { try Tensor(.f32, shape: Shape([3]), floats: [1, 2]) }
    }
}

@Suite struct LayoutTests {
    /// Expected values written out by hand from NumPy's definition of transpose and [::-1].
    @Test func permuteAndFlip() throws {
        let t = try Tensor(.f32, shape: Shape([2, 3]), floats: [0, 1, 2, 3, 4, 5])
        #expect(t.permuted([1, 0]).floats() == [0, 3, 1, 4, 2, 5])
        #expect(t.permuted([1, 0]).shape.dims == [3, 2])
        #expect(t.permuted([0, 1], reversing: [1]).floats() == [2, 1, 0, 5, 4, 3])
        #expect(t.permuted([1, 0], reversing: [0]).floats() == [3, 0, 4, 1, 5, 2])
        // [kh, kw, I, O] = [2, 2, 1, 2] → flipped spatially, transposed to [O, I, kh, kw].
        let w = try Tensor(.f32, shape: Shape([2, 2, 1, 2]), floats: [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(w.permuted([3, 2, 0, 1], reversing: [0, 1]).floats() == [6, 4, 2, 0, 7, 5, 3, 1])
    }

    @Test func reshapeKeepsCount() throws {
        let t = try Tensor(.f16, shape: Shape([1, 4]), floats: [1, 2, 3, 4])
        #expect(try t.reshaped([2, 2]).shape.dims == [2, 2])
        #expect(throws: TensorError.self) { try t.reshaped([3]) }
    }
}
