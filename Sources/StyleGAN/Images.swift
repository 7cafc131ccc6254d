/// Generator output [N, C, H, W] → 8-bit images, NVlabs' conversion.
public enum Images {
    public static func from(_ batch: Value) throws -> [Image] {
        let t = try batch.tensor()
        return try (0..<batch.dims[0]).map { try Image(generatorOutput: t, index: $0) }
    }
}
