/// Latent vectors as NVlabs scripts make them.
public enum Latents {
    /// z for `seed`: `np.random.RandomState(seed).randn(1, z_dim)` in float64, cast to float32.
    public static func z(seed: UInt32, zDim: Int) -> [Float] {
        var rng = NumpyRandom(seed: seed)
        return rng.randn(zDim).map { Float($0) }
    }

    /// z rows for `seeds`, concatenated [seeds.count, z_dim].
    public static func z(seeds: [UInt32], zDim: Int) -> [Float] {
        seeds.flatMap { z(seed: $0, zDim: zDim) }
    }

    /// One-hot labels for class `index` (as `generate.py --class`).
    public static func oneHot(_ index: Int, classes: Int) -> [Float] {
        (0..<classes).map { $0 == index ? 1 : 0 }
    }
}

extension Value {
    /// As a float32 tensor of the same shape.
    public func tensor() throws -> Tensor {
        try Tensor(.f32, shape: Shape(dims), floats: data)
    }

    /// From a float tensor (float32 or float64 files are both accepted).
    public init(_ tensor: Tensor) {
        self.init(data: tensor.floats(), dims: tensor.shape.dims)
    }
}
