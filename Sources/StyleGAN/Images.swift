/// Generator output [N, C, H, W] → 8-bit images, NVlabs' conversion.
public enum Images {
    public static func from(_ batch: Value) throws -> [Image] {
        try batch.data.withUnsafeBufferPointer { try from($0, dims: batch.dims) }
    }

    /// From output the caller holds (e.g. `Generator.withGenerated`'s arena), read in place: at
    /// 1024² a batch of 8 would otherwise be copied once more (400 MB) before the conversion.
    public static func from(_ output: UnsafeBufferPointer<Float>, dims: [Int]) throws -> [Image] {
        // A tensor borrowing `output` for the duration of this call only (it does not escape).
        let borrowed = SharedBytes(unsafeOwning: UnsafeRawBufferPointer(output), release: { _ in })
        let t = try Tensor(dtype: .f32, shape: try Shape(dims), storage: borrowed)
        return try (0..<(dims.first ?? 0)).map { try Image(generatorOutput: t, index: $0) }
    }
}
