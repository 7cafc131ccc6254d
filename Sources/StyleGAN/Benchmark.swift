import Foundation

/// `stylegan bench`: median time per image (z → image, mapping included), effective GFLOP/s
/// against the measured FMA peak, and optionally per-layer times.
public enum Benchmark {
    /// One step of the run: a node, or a chain of nodes the executor runs fused (`layer` names
    /// the first and the last, `nodes` all of them).
    public struct LayerTime: Sendable, Encodable {
        public var layer: String
        public var nodes: [String]
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
                      layers: layers ? try layerTimes(model, batch: batch, iterations: times.count) { stepTime in
                          try g.withGenerated(z: z, labels: labels, count: batch, truncation: Truncation(psi: 0.7), noise: .const,
                                              stepTime: stepTime) { _, _ in }
                      } : nil)
    }

    /// Median wall time of every step of the steady-state run, fused as in the timed runs (parts
    /// of primitive ops, from ONNX, run node by node and are not broken down).
    private static func layerTimes(_ model: Model, batch: Int, iterations: Int,
                                   _ once: (@escaping ([String], Duration) -> Void) throws -> Void) throws -> [LayerTime] {
        let flops = Dictionary(try FlopCount.perNode(model.imported.graph).map { ($0.node, $0.flops) }) { a, _ in a }
        func work(_ name: String) -> Double {
            flops[name.hasPrefix("mapping.") ? "mapping/" + name.dropFirst(8) : "synthesis/" + name] ?? 0
        }
        func row(_ nodes: [String], _ s: Double) -> LayerTime {
            let label = nodes.count > 1 ? "\(nodes.first!) … \(nodes.last!)" : nodes.first ?? ""
            return LayerTime(layer: label, nodes: nodes, seconds: s, gflops: s > 0 ? nodes.map(work).reduce(0, +) / s / 1e9 : 0)
        }
        var runs: [[([String], Duration)]] = []
        for _ in 0..<max(1, iterations) {
            let steps = StepLog()
            try once { steps.entries.append(($0, $1)) }
            runs.append(steps.entries)
        }
        let first = runs[0]
        return first.indices.map { i in
            let times = runs.map { seconds($0[i].1) }.sorted()
            return row(first[i].0, times[times.count / 2] / Double(batch))
        }
    }

    /// What the timing callback collects (it escapes into the run's closures).
    private final class StepLog {
        var entries: [([String], Duration)] = []
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
}
