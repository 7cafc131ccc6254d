/// What kind of generator a graph holds, and the configuration an importer inferred for it.
public enum GeneratorFamily: String, Sendable, Codable, Hashable {
    case styleGAN1 = "StyleGAN1"
    case styleGAN2 = "StyleGAN2"
    case styleGAN2ADA = "StyleGAN2-ADA"
    case styleGAN3 = "StyleGAN3"
}

/// StyleGAN2's three synthesis architectures (StyleGAN2 paper, Figure 7).
public enum Architecture: String, Sendable, Codable, Hashable {
    case orig, skip, resnet
}

public struct GeneratorConfig: Sendable, Codable, Hashable {
    public var family: GeneratorFamily
    public var zDim: Int
    public var wDim: Int
    public var cDim: Int
    public var numWs: Int
    public var resolution: Int
    public var imgChannels: Int
    /// nil for StyleGAN1 and StyleGAN3.
    public var architecture: Architecture?
    public var mappingLayers: Int
    public var mappingLRMultiplier: Float
    /// Feature channels per block resolution (4, 8, ... resolution).
    public var channels: [Int: Int]
    /// Clamp applied after the synthesis activations (ADA `conv_clamp`), nil when none.
    public var convClamp: Float?
    /// Resolutions the source ran in float16 (ADA `num_fp16_res`); we compute them in float32.
    public var fp16Resolutions: [Int]
    /// The 1-D resample filter taps before normalisation, e.g. [1, 3, 3, 1].
    public var resampleFilter: [Float]
    /// Defaults the source would use for truncation (informational: ours is psi 1 unless asked).
    public var sourceTruncationPsi: Float?
    public var sourceTruncationCutoff: Int?
    /// Fields (by their `.sgan` JSON name, e.g. `mapping_layers`) the importer could not
    /// determine from the source; their values above are placeholders (0, empty, nil).
    public var unknownFields: [String]
    /// The source fixed the noise (ONNX exports add `noise_const · strength` as a constant): only
    /// the stored noise can be used, and `noise` nodes have a unit strength.
    public var bakedNoise: Bool
    /// The only batch size the graph runs with (a static batch dimension in the source); nil when
    /// any batch size works. The `Generator` runs other batch sizes in chunks of this size.
    public var fixedBatch: Int?

    public init(family: GeneratorFamily, zDim: Int, wDim: Int, cDim: Int, numWs: Int, resolution: Int,
                imgChannels: Int, architecture: Architecture?, mappingLayers: Int, mappingLRMultiplier: Float,
                channels: [Int: Int], convClamp: Float?, fp16Resolutions: [Int], resampleFilter: [Float],
                sourceTruncationPsi: Float? = nil, sourceTruncationCutoff: Int? = nil,
                unknownFields: [String] = [], bakedNoise: Bool = false, fixedBatch: Int? = nil) {
        self.family = family
        self.zDim = zDim
        self.wDim = wDim
        self.cDim = cDim
        self.numWs = numWs
        self.resolution = resolution
        self.imgChannels = imgChannels
        self.architecture = architecture
        self.mappingLayers = mappingLayers
        self.mappingLRMultiplier = mappingLRMultiplier
        self.channels = channels
        self.convClamp = convClamp
        self.fp16Resolutions = fp16Resolutions
        self.resampleFilter = resampleFilter
        self.sourceTruncationPsi = sourceTruncationPsi
        self.sourceTruncationCutoff = sourceTruncationCutoff
        self.unknownFields = unknownFields
        self.bakedNoise = bakedNoise
        self.fixedBatch = fixedBatch
    }
}
