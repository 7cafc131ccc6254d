/// The `StyleGAN` library: load any supported model file, map, synthesize, generate.
public enum StyleGANInfo {
    public static let version = "0.1.0"
}
