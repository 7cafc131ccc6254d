import Foundation

/// `stylegan bench`: median time per image (z → image, mapping included), effective GFLOP/s
/// against the measured FMA peak, and optionally per-layer times.
public enum Benchmark {
    public struct LayerTime: Sendable, Encodable {
        public var layer: String
        public var seconds: Double
        public var gflops: Double
    }

    public struct Result: Sendable, Encodable {
        public var model: String
        public var batch: Int
        public var threads: Int
        public var iterations: Int
        public var kernel_path: String
        public var seconds_per_image: Double
        public var images_per_second: Double
        public var gflop_per_image: Double
        public var effective_gflops: Double
        public var peak_gflops: Double
        public var share_of_peak: Double
        public var layers: [LayerTime]?
    }

    public static func run(model: Model, threads: Int, batch: Int, iterations: Int, layers: Bool) throws -> Result {
        let c = model.config
        let z = Latents.z(seeds: (0..<batch).map(UInt32.init), zDim: c.zDim)
        let labels = [Float](repeating: 0, count: batch * c.cDim)
        let g = model.generator
        // The steady state: the activation arenas planned for this batch size, nothing allocated.
        func once() throws { try g.withGenerated(z: z, labels: labels, count: batch, truncation: Truncation(psi: 0.7), noise: .const) { _, _ in } }
        try once()  // warm-up: plans the arenas, the kernels' scratch grows to its final size
        var times: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<max(1, iterations) {
            let start = clock.now
            try once()
            times.append(seconds(clock.now - start))
        }
        let perImage = times.sorted()[times.count / 2] / Double(batch)
        let flops = try FlopCount.perImage(model.imported.graph)
        let peak = Machine.fmaPeakGFLOPS(threads: threads)
        let effective = flops / perImage / 1e9
        return Result(model: model.path, batch: batch, threads: threads, iterations: times.count, kernel_path: Machine.kernelPath,
                      seconds_per_image: perImage, images_per_second: 1 / perImage, gflop_per_image: flops / 1e9,
                      effective_gflops: effective, peak_gflops: peak, share_of_peak: effective / peak,
                      layers: layers ? try layerTimes(model, batch: batch) { observe in
                          _ = try g.generate(z: z, labels: labels, count: batch, truncation: Truncation(psi: 0.7), noise: .const, observe: observe)
                      } : nil)
    }

    /// Time between consecutive node outputs is that node's time (the run is sequential).
    private static func layerTimes(_ model: Model, batch: Int, _ once: (((String, Value) -> Void)?) throws -> Void) throws -> [LayerTime] {
        let flops = Dictionary(try FlopCount.perNode(model.imported.graph).map { ($0.node, $0.flops) }) { a, _ in a }
        let clock = ContinuousClock()
        var last = clock.now
        var out: [LayerTime] = []
        try once { name, _ in
            let now = clock.now
            let key = name.hasPrefix("mapping.") ? "mapping/" + name.dropFirst(8) : "synthesis/" + name
            let s = seconds(now - last) / Double(batch)
            out.append(LayerTime(layer: name, seconds: s, gflops: s > 0 ? (flops[key] ?? 0) / s / 1e9 : 0))
            last = now
        }
        return out
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
}
