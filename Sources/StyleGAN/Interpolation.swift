import Foundation

/// Latent walks between seeds: linear in W, spherical in Z.
public enum Interpolation {
    public enum Space: String, Sendable, CaseIterable { case w, z }

    /// Each segment between consecutive keys gets `frames` frames (t = 0, 1/frames, ...);
    /// the last key is appended once at the end unless `loop` closes the path back to the first.
    public static func parameters(keys: Int, frames: Int, loop: Bool) -> [(from: Int, to: Int, t: Float)] {
        let segments = loop ? keys : keys - 1
        var out: [(Int, Int, Float)] = []
        for s in 0..<segments {
            for f in 0..<frames { out.append((s, (s + 1) % keys, Float(f) / Float(frames))) }
        }
        if !loop { out.append((keys - 1, keys - 1, 0)) }
        return out
    }

    public static func lerp(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>, _ t: Float) -> [Float] {
        zip(a, b).map { $0 + ($1 - $0) * t }
    }

    /// Spherical interpolation (the angle between the vectors measured on their directions).
    public static func slerp(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>, _ t: Float) -> [Float] {
        let na = a.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        let nb = b.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } / max(na * nb, 1e-12)
        let omega = acos(min(max(dot, -1), 1))
        if omega < 1e-6 { return lerp(a, b, t) }
        let s = sin(omega)
        let (wa, wb) = (sin((1 - Double(t)) * omega) / s, sin(Double(t) * omega) / s)
        return zip(a, b).map { Float(wa * Double($0) + wb * Double($1)) }
    }

    /// ws [frames, num_ws, w_dim] for the walk through `seeds`.
    public static func ws(model: Model, seeds: [UInt32], frames: Int, space: Space, loop: Bool,
                          truncation: Truncation) throws -> Value {
        let c = model.config, g = model.generator
        let z = Latents.z(seeds: seeds, zDim: c.zDim)
        let steps = parameters(keys: seeds.count, frames: frames, loop: loop)
        switch space {
        case .w:
            let keys = try g.map(z: z, labels: [Float](repeating: 0, count: seeds.count * c.cDim),
                                 count: seeds.count, truncation: truncation)
            let per = c.numWs * c.wDim
            func key(_ i: Int) -> ArraySlice<Float> { keys.data[(i * per)..<((i + 1) * per)] }
            let data = steps.flatMap { lerp(key($0.from), key($0.to), $0.t) }
            return Value(data: data, dims: [steps.count, c.numWs, c.wDim])
        case .z:
            func key(_ i: Int) -> ArraySlice<Float> { z[(i * c.zDim)..<((i + 1) * c.zDim)] }
            let zs = steps.flatMap { slerp(key($0.from), key($0.to), $0.t) }
            return try g.map(z: zs, labels: [Float](repeating: 0, count: steps.count * c.cDim),
                             count: steps.count, truncation: truncation)
        }
    }
}
