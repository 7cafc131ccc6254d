import ArgumentParser
import Foundation
import StyleGAN

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate images from seeds or latents, with truncation, labels and noise control.",
        discussion: """
            Seeds give the same z as NVlabs' generate.py (np.random.RandomState(seed).randn). \
            Writes seed%04d.png per seed (img%04d.png per row of --latents) into --outdir, \
            optionally a grid, the raw float32 output and the W used.
            """)

    @OptionGroup var source: ModelOptions
    @Option(help: "Seeds, e.g. 0-7,12.") var seeds: String?
    @Option(help: "Latents z as .npy [N, z_dim] (float32 or float64).") var latents: String?
    @Option(help: "Labels as .npy [N, c_dim] for conditional models.") var labels: String?
    @Option(name: .customLong("class"), help: "Class index for conditional models (one-hot label).") var classIndex: Int?
    @OptionGroup var truncation: TruncationOptions
    @OptionGroup var noise: NoiseOptions
    @Option(help: "Folder for the PNGs.") var outdir: String = "out"
    @Option(help: "Also write all images as one near-square grid PNG.") var grid: String?
    @Option(help: "Write the float32 NCHW output [N, C, H, W] before uint8 conversion (.npy).") var raw: String?
    @Option(help: "Write the W actually synthesised [N, num_ws, w_dim] (.npy).") var wsOut: String?
    @Option(help: batchHelp) var batch: Int = 1

    func run() throws {
        try reporting {
            guard (seeds == nil) != (latents == nil) else { throw CLIError("give exactly one of --seeds and --latents") }
            guard batch >= 1 else { throw CLIError("--batch must be ≥ 1") }
            let t = try truncation.truncation()
            let model = try source.load()
            let c = model.config
            let (z, names) = try latentRows(zDim: c.zDim)
            let n = names.count
            let labelRows = try LabelOptions.rows(labels: labels, classIndex: classIndex, count: n, cDim: c.cDim)
            try prepareOutputDirectory(outdir)
            for path in [grid, raw, wsOut].compactMap({ $0 }) { try checkWritable(file: path) }

            if wsOut != nil, !model.generator.canMap {
                // A graph with no W boundary (e.g. an ONNX export) runs z → image in one go.
                throw CLIError("--ws-out: the model has no W boundary (form \(model.generator.form.rawValue))")
            }

            var images: [Image] = []
            var rawData: [Float] = []
            var wsData: [Float] = []
            var imageDims: [Int] = []
            func convert(_ out: UnsafeBufferPointer<Float>, _ dims: [Int]) throws -> [Image] {
                imageDims = Array(dims.dropFirst())
                if raw != nil { rawData += out }
                return try Images.from(out, dims: dims)
            }
            for start in stride(from: 0, to: n, by: batch) {
                let end = min(n, start + batch)
                let zRows = Array(z[(start * c.zDim)..<(end * c.zDim)])
                let labelBatch = Array(labelRows[(start * c.cDim)..<(end * c.cDim)])
                let g = model.generator
                let batchImages: [Image]
                if wsOut != nil {
                    // W is wanted as well: map, then synthesize.
                    let ws = try g.map(z: zRows, labels: labelBatch, count: end - start, truncation: t)
                    let out = try g.synthesize(ws: ws, noise: noise.mode)
                    wsData += ws.data
                    batchImages = try out.data.withUnsafeBufferPointer { try convert($0, out.dims) }
                } else if c.fixedBatch.map({ $0 == end - start }) ?? true {
                    // Converted straight from the generator's arena: no copy of the output first.
                    batchImages = try g.withGenerated(z: zRows, labels: labelBatch, count: end - start, truncation: t,
                                                      noise: noise.mode, convert)
                } else {
                    // A graph exported for a fixed batch size: `generate` runs it in chunks of that size.
                    let out = try g.generate(z: zRows, labels: labelBatch, count: end - start, truncation: t, noise: noise.mode)
                    batchImages = try out.data.withUnsafeBufferPointer { try convert($0, out.dims) }
                }
                for (i, image) in batchImages.enumerated() {
                    try PNG.write(image, to: "\(outdir)/\(names[start + i])")
                }
                if grid != nil { images += batchImages }
                Progress.update("generating", end, of: n)
            }
            if let grid { try PNG.write(try ImageGrid.make(images), to: grid) }
            if let raw { try NPY.write(try Tensor(.f32, shape: Shape([n] + imageDims), floats: rawData), to: raw) }
            if let wsOut { try NPY.write(try Tensor(.f32, shape: Shape([n, c.numWs, c.wDim]), floats: wsData), to: wsOut) }
            print("wrote \(n) image(s) to \(outdir)" + (grid.map { " and the grid \($0)" } ?? ""))
        }
    }

    /// z for every image and its file name.
    func latentRows(zDim: Int) throws -> ([Float], [String]) {
        if let seeds {
            let list = try parseSeeds(seeds)
            return (Latents.z(seeds: list, zDim: zDim), list.map { String(format: "seed%04d.png", $0) })
        }
        let z = try NPY.read(path: latents!)
        guard z.shape.rank == 2, z.shape.dims[1] == zDim else {
            throw CLIError("\(latents!): latents have shape \(z.shape), the model takes [N, \(zDim)]")
        }
        return (z.floats(), (0..<z.shape.dims[0]).map { String(format: "img%04d.png", $0) })
    }
}

enum LabelOptions {
    /// Label rows [N, c_dim] from a file or a class index; an error where the model disagrees.
    static func rows(labels: String?, classIndex: Int?, count n: Int, cDim: Int) throws -> [Float] {
        if labels != nil && classIndex != nil { throw CLIError("give at most one of --labels and --class") }
        if cDim == 0 {
            if labels != nil || classIndex != nil { throw CLIError("the model is unconditional (c_dim 0): it takes no labels or --class") }
            return []
        }
        if let classIndex {
            guard (0..<cDim).contains(classIndex) else { throw CLIError("--class \(classIndex) is out of range: the model has \(cDim) classes (0...\(cDim - 1))") }
            return Array([[Float]](repeating: Latents.oneHot(classIndex, classes: cDim), count: n).joined())
        }
        guard let labels else { throw CLIError("the model is conditional (c_dim \(cDim)): give --class K or --labels c.npy") }
        let c = try NPY.read(path: labels)
        guard c.shape.dims == [n, cDim] else { throw CLIError("\(labels): labels have shape \(c.shape), expected [\(n), \(cDim)]") }
        return c.floats()
    }
}
