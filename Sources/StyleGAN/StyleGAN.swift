// The `StyleGAN` library: load any supported model file, map, synthesize, generate.
// Re-exported so that one `import StyleGAN` gives the whole public API.
@_exported public import FileFormats
@_exported public import Importers
@_exported public import LayerGraph
@_exported public import Runtime
@_exported public import Tensors

public enum StyleGANInfo {
    public static let version = "0.1.0"
}
