import ArgumentParser
import StyleGAN

struct Mix: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the style-mixing figure: row seeds x column seeds, styles taken from the columns.",
        discussion: "As NVlabs' style_mixing.py: the top row shows the column seeds, the left column the row seeds, and cell (row, col) is the row seed's W with the W vectors at --styles from the column seed.")

    @OptionGroup var source: ModelOptions
    @Option(help: "Row seeds, e.g. 85,100,75.") var rows: String
    @Option(help: "Column seeds, e.g. 55,821,1789.") var cols: String
    @Option(help: "W indices taken from the column seeds, e.g. 0-6.") var styles: String = "0-6"
    @OptionGroup var truncation: TruncationOptions
    @OptionGroup var noise: NoiseOptions
    @Option(name: .shortAndLong, help: "Output PNG.") var output: String

    func run() throws {
        try reporting {
            let t = try truncation.truncation()
            let (r, c) = (try parseSeeds(rows), try parseSeeds(cols))
            let s = try parseList(styles, name: "--styles")
            try checkWritable(file: output)
            let model = try source.load()
            let figure = try Progress.step("mixing") {
                try StyleMixing.figure(model: model, rows: r, columns: c, styles: s, truncation: t, noise: noise.mode)
            }
            try PNG.write(figure, to: output)
            print("wrote \(r.count)×\(c.count) style-mixing grid to \(output)")
        }
    }
}

struct Interpolate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Interpolate between seeds (lerp in W or slerp in Z) and write the frames.",
        discussion: "Writes frame%05d.png: --frames per segment between consecutive seeds, then the last seed (or back to the first with --loop).")

    @OptionGroup var source: ModelOptions
    @Option(help: "Key seeds, e.g. 1,2,3.") var seeds: String
    @Option(help: "Frames per segment.") var frames: Int = 30
    @Option(help: "Interpolation space: w (linear) or z (spherical).") var space: String = "w"
    @Flag(help: "Return to the first seed at the end.") var loop = false
    @OptionGroup var truncation: TruncationOptions
    @OptionGroup var noise: NoiseOptions
    @Option(help: "Folder for the frames.") var outdir: String

    func run() throws {
        try reporting {
            let t = try truncation.truncation()
            let keys = try parseSeeds(seeds)
            guard keys.count >= 2 else { throw CLIError("--seeds: give at least two seeds") }
            guard frames >= 1 else { throw CLIError("--frames must be ≥ 1") }
            guard let sp = Interpolation.Space(rawValue: space) else { throw CLIError("--space must be w or z, got '\(space)'") }
            try prepareOutputDirectory(outdir)
            let model = try source.load()
            let ws = try Interpolation.ws(model: model, seeds: keys, frames: frames, space: sp, loop: loop, truncation: t)
            let per = ws.dims[1] * ws.dims[2]
            for i in 0..<ws.dims[0] {
                let one = Value(data: Array(ws.data[(i * per)..<((i + 1) * per)]), dims: [1, ws.dims[1], ws.dims[2]])
                let image = try Images.from(try model.generator.synthesize(ws: one, noise: noise.mode))[0]
                try PNG.write(image, to: "\(outdir)/" + String(format: "frame%05d.png", i))
                Progress.update("frames", i + 1, of: ws.dims[0])
            }
            print("wrote \(ws.dims[0]) frames to \(outdir)")
        }
    }
}
