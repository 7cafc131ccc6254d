/// Batch of feature maps, NCHW row-major.
public struct ImageShape: Hashable, Sendable, CustomStringConvertible {
    public var n: Int, c: Int, h: Int, w: Int
    public init(n: Int, c: Int, h: Int, w: Int) {
        self.n = n
        self.c = c
        self.h = h
        self.w = w
    }
    public var count: Int { n * c * h * w }
    public var plane: Int { h * w }
    public var description: String { "[\(n), \(c), \(h), \(w)]" }
}

/// Activation applied by `biasAct` and `dense`.
public enum KernelActivation: Sendable {
    case linear
    /// Leaky ReLU with slope `alpha` for negative inputs (0.2 in StyleGAN).
    case lrelu(alpha: Float)
    case relu

    @inline(__always)
    func apply(_ x: Float) -> Float {
        switch self {
        case .linear: x
        case .lrelu(let a): x < 0 ? x * a : x
        case .relu: max(x, 0)
        }
    }
}

/// Post-processing shared by dense layers and `biasAct`: act(x + bias·biasGain)·gain, clamped.
public struct Epilogue: Sendable {
    public var biasGain: Float
    public var activation: KernelActivation
    public var gain: Float
    public var clamp: Float?
    public init(biasGain: Float = 1, activation: KernelActivation = .linear, gain: Float = 1, clamp: Float? = nil) {
        self.biasGain = biasGain
        self.activation = activation
        self.gain = gain
        self.clamp = clamp
    }

    @inline(__always)
    func apply(_ x: Float, bias: Float) -> Float {
        var y = activation.apply(x + bias * biasGain)
        if gain != 1 { y *= gain }
        if let clamp { y = min(max(y, -clamp), clamp) }
        return y
    }
}
