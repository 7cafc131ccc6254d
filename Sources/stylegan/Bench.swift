import ArgumentParser
import Foundation
import StyleGAN

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure generation speed (median seconds per image) on this machine.",
        discussion: """
            Times z → image (mapping included) with psi 0.7 and constant noise after one warm-up run, \
            and reports effective GFLOP/s (2 × the multiply-adds as executed) against the measured FMA \
            peak of this machine.
            """)

    @OptionGroup var source: ModelOptions
    @Option(help: batchHelp) var batch: Int = 1
    @Option(help: "Threads for the kernels (default: every online processor).") var threads: Int?
    @Option(help: "Timed runs (the median is reported).") var iterations: Int = 5
    @Flag(help: "Also time every step of the run (median): a node, or the nodes it runs fused.") var layers = false
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        try reporting {
            guard batch >= 1, iterations >= 1 else { throw CLIError("--batch and --iterations must be ≥ 1") }
            if let threads, threads < 1 { throw CLIError("--threads must be ≥ 1") }
            let t = threads ?? Machine.defaultThreads
            let model = try Progress.step("loading \(source.model)") { try Model.load(path: source.model, network: source.network, threads: t) }
            let r = try Progress.step("benchmarking") {
                try Benchmark.run(model: model, threads: t, batch: batch, iterations: iterations, layers: layers)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(r), as: UTF8.self))
                return
            }
            // Small models take microseconds: four significant digits whatever the size.
            print(String(format: "%@: %.4g s per image (%.1f images/s), batch %d, %d threads, %@ kernels, median of %d",
                         r.model, r.seconds_per_image, r.images_per_second, r.batch, r.threads, r.kernel_path, r.iterations))
            print(String(format: "%.2f GFLOP per image, %.1f GFLOP/s effective = %.0f %% of the measured %.0f GFLOP/s FMA peak",
                         r.gflop_per_image, r.effective_gflops, 100 * r.share_of_peak, r.peak_gflops))
            if let rows = r.layers {
                // One row per step as the executor runs it: fused chains of nodes show their first and last node.
                let width = max(36, rows.map(\.layer.count).max() ?? 0)
                print("layer".padding(toLength: width, withPad: " ", startingAt: 0) + "       ms   GFLOP/s")
                for row in rows where row.seconds * 1000 >= 0.05 {
                    print(row.layer.padding(toLength: width, withPad: " ", startingAt: 0) + String(format: " %8.3f %9.1f", row.seconds * 1000, row.gflops))
                }
            }
        }
    }
}
