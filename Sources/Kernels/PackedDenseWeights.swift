internal import CKernels

/// Dense-layer weights [out, in] packed once as the GEMM's B operand (Wᵀ), with the weight gain
/// folded in (w·gain rounds exactly as `Reference.dense` computes it).
public struct PackedDenseWeights: Sendable {
    public let outFeatures: Int
    public let inFeatures: Int
    let packed: [Float]

    public init(weight: UnsafeBufferPointer<Float>, outFeatures: Int, inFeatures: Int, weightGain: Float = 1) {
        precondition(outFeatures >= 0 && inFeatures >= 0, "PackedDenseWeights: negative size")
        precondition(weight.count >= outFeatures * inFeatures,
                     "PackedDenseWeights: weight has \(weight.count) floats, needs \(outFeatures * inFeatures)")
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        let count = Int(ck_packed_b_count(inFeatures, outFeatures))
        packed = [Float](unsafeUninitializedCapacity: count) { buf, initialized in
            if count > 0 {
                // B(i, o) = w[o, i]: B is Wᵀ, read transposed from the row-major [out, in] weight.
                ck_pack_b(inFeatures, outFeatures, weight.baseAddress, inFeatures, 1, weightGain, buf.baseAddress)
            }
            initialized = count
        }
    }

    public init(weight: [Float], outFeatures: Int, inFeatures: Int, weightGain: Float = 1) {
        self = weight.withUnsafeBufferPointer { PackedDenseWeights(weight: $0, outFeatures: outFeatures, inFeatures: inFeatures, weightGain: weightGain) }
    }

    /// Bytes of the packed weights.
    public var byteCount: Int { packed.count * MemoryLayout<Float>.stride }
}
