import Foundation
import ModelFormat
import Tensors
import Testing

/// Storage conversions on known values (Schemas/SGAN.md §5.1 for int8).
@Suite struct CodecTests {
    func encoded(_ values: [Float], _ dims: [Int], as dtype: DType) throws -> (bytes: [UInt8], scales: [Float]?) {
        let t = try Tensor(.f32, shape: Shape(dims), floats: values)
        return try SGANCodec.encode(t, as: dtype) { (Array($0), $1) }
    }

    @Test func int8IsSymmetricPerOutputChannel() throws {
        // Channel 0: max |w| = 2.54 → scale 0.02; channel 1 all zero; channel 2 has ties.
        let values: [Float] = [2.54, -1.27, 0.01, 0.03, 0, 0, 0, 0, 127, -63.5, 0.5, 1.5]
        let (q, scales) = try encoded(values, [3, 4], as: .i8)
        #expect(scales == [Float(2.54) / 127, 0, 1])
        let s0 = Float(2.54) / 127
        let expected0 = values[0..<4].map { Int8(($0 / s0).rounded(.toNearestOrEven)) }
        #expect(q[0..<4].map { Int8(bitPattern: $0) } == expected0)
        #expect(q[0] == 127)
        #expect(q[4..<8].allSatisfy { $0 == 0 })
        // -63.5 and 0.5 are ties: round half to even → -64, 0; 1.5 → 2.
        #expect(q[8..<12].map { Int8(bitPattern: $0) } == [127, -64, 0, 2])
    }

    @Test func int8NeverWritesMinus128AndRefusesNonFinite() throws {
        let (q, _) = try encoded([-1, 1, -0.999, 0.5], [1, 4], as: .i8)
        #expect(!q.contains(0x80))
        #expect(throws: SGANCodec.Failure.notRepresentable(index: 1, value: .infinity, dtype: .i8)) {
            _ = try encoded([1, .infinity], [1, 2], as: .i8)
        }
    }

    @Test func halfPrecisionRoundsToNearestEvenAndRefusesOverflow() throws {
        let (h, _) = try encoded([1, 65504, -0.0, .infinity], [4], as: .f16)
        #expect(h == [0x00, 0x3C, 0xFF, 0x7B, 0x00, 0x80, 0x00, 0x7C])
        #expect(throws: SGANCodec.Failure.notRepresentable(index: 0, value: 65520, dtype: .f16)) {
            _ = try encoded([65520], [1], as: .f16)
        }
        let (b, _) = try encoded([1, 1.00390625, 1.01171875], [3], as: .bf16)  // 1 + 2⁻⁸ ties to even
        #expect(b == [0x80, 0x3F, 0x80, 0x3F, 0x82, 0x3F])
        #expect(throws: SGANCodec.Failure.self) { _ = try encoded([.greatestFiniteMagnitude], [1], as: .bf16) }
    }

    @Test func f32PassesTheTensorsOwnBytes() throws {
        let t = try Tensor(.f32, shape: Shape([3]), floats: [1, .nan, -2])
        let same = try SGANCodec.encode(t, as: .f32) { raw, scales in
            scales == nil && t.withUnsafeBytes { $0.baseAddress == raw.baseAddress }
        }
        #expect(same)
    }
}
