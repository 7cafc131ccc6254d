import ArgumentParser
import Foundation
import StyleGAN

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a model against official golden outputs (--golden FILE.h5) or another model (--against).",
        discussion: """
            Runs the golden file's latents z (and labels c) through our runtime and compares every \
            dataset named for its settings: ws_psi<d>[_cut<K>], img_<const|none>_psi<d>[_cut<K>], \
            img_mixed_const (from ws_mixed) and act/<layer> (layer by layer). Exit code 1 when any \
            max |err| is above the tolerance, tol × max(1, max |golden|).
            """)

    @OptionGroup var source: ModelOptions
    @Option(help: "HDF5 golden file written by the official code.") var golden: String?
    @Option(help: "Another model to compare against, layer by layer, on --seeds (e.g. the pickle a .sgan came from).") var against: String?
    @Option(help: "Seeds for --against.") var seeds: String = "0-3"
    @OptionGroup var truncation: TruncationOptions
    @Option(help: "Tolerance factor (default 1e-4).") var tolerance: Float = 1e-4
    @Option(help: "Write our own activations (HDF5, act/<layer>) for the golden latents.") var dump: String?

    func run() throws {
        try reporting {
            if let against { return try verifyAgainst(against) }
            guard let golden else { throw CLIError("give --golden FILE.h5 or --against MODEL") }
            if let dump { try checkWritable(file: dump) }
            let model = try source.load()
            var dumped: [(String, Value)] = []
            let checks = try Progress.step("verifying") {
                try GoldenVerification.run(model: model, golden: golden, defaultTolerance: tolerance,
                                           dump: dump == nil ? nil : { dumped.append(($0, $1)) })
            }
            if let dump {
                let writer = try HDF5Writer(destination: dump)
                for (name, v) in dumped { try writer.write(try v.tensor(), to: "act/\(name)") }
                try writer.commit()
            }
            print("dataset".padding(toLength: 28, withPad: " ", startingAt: 0) + "   max |err|        RMSE    PSNR dB   tolerance")
            for c in checks {
                if let why = c.skipped {
                    print(c.dataset.padding(toLength: 28, withPad: " ", startingAt: 0) + " skipped: \(why)")
                    continue
                }
                print(c.dataset.padding(toLength: 28, withPad: " ", startingAt: 0)
                      + String(format: " %11.3e %11.3e %10.1f %11.1e  ", c.maxError, c.rmse, c.psnr, c.tolerance)
                      + (c.passed ? "ok" : "FAIL"))
            }
            guard checks.contains(where: { $0.skipped == nil }) else { throw CLIError("\(golden): no dataset this model can be checked on") }
            let failed = checks.filter { !$0.passed }
            if failed.isEmpty {
                let skipped = checks.filter { $0.skipped != nil }.count
                print("all \(checks.count - skipped) datasets within tolerance" + (skipped > 0 ? " (\(skipped) skipped)" : ""))
                return
            }
            let order = model.imported.graph.mapping.nodes.map { "mapping.\($0.name)" }
                + model.imported.graph.synthesis.nodes.map { $0.name.hasPrefix("synthesis.") ? String($0.name.dropFirst(10)) : $0.name }
            if let first = failed.compactMap({ c -> (Int, String)? in
                guard c.dataset.hasPrefix("act/"), let i = order.firstIndex(of: String(c.dataset.dropFirst(4))) else { return nil }
                return (i, c.dataset)
            }).min(by: { $0.0 < $1.0 }) {
                printError("first diverging layer: \(first.1)")
            }
            printError("\(failed.count) of \(checks.count) datasets above tolerance")
            throw ExitCode(1)
        }
    }

    /// Both models through our runtime; the criterion follows the storage dtype of MODEL.
    func verifyAgainst(_ reference: String) throws {
        let t = try truncation.truncation()
        let seedList = try parseSeeds(seeds)
        let model = try source.load()
        let other = try Progress.step("loading \(reference)") { try Model.load(path: reference, network: source.network) }
        let dtype = model.imported.storageDType
        let criterion = ModelComparison.Criterion.forStorage(dtype)
        let (layers, image) = try Progress.step("comparing") {
            try ModelComparison.compare(model, against: other, seeds: seedList, truncation: t)
        }
        print("layer".padding(toLength: 36, withPad: " ", startingAt: 0) + "   max |err|        RMSE    PSNR dB")
        for row in layers + [image] {
            print(row.layer.padding(toLength: 36, withPad: " ", startingAt: 0)
                  + String(format: " %11.3e %11.3e %10.1f", row.maxError, row.rmse, row.psnr))
        }
        print("criterion (\(dtype ?? "f32") storage): \(criterion), on the image")
        if let first = layers.first(where: { !criterion.accepts($0) }) { print("first layer beyond it: \(first.layer)") }
        guard criterion.accepts(image) else {
            printError("the images differ beyond \(criterion)")
            throw ExitCode(1)
        }
        print("images agree (\(criterion))")
    }
}
