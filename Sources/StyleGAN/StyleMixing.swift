/// Style mixing as NVlabs' `style_mixing.py`: W rows of the row seeds with the W vectors at
/// `styles` taken from the column seeds.
public enum StyleMixing {
    /// ws of `target` [num_ws, w_dim] with the rows in `styles` replaced by those of `source`.
    public static func mix(_ target: ArraySlice<Float>, _ source: ArraySlice<Float>, styles: [Int], wDim: Int) -> [Float] {
        var out = Array(target)
        let s0 = source.startIndex
        for r in styles { for j in 0..<wDim { out[r * wDim + j] = source[s0 + r * wDim + j] } }
        return out
    }

    /// The figure: an empty corner, the column seeds' images along the top, the row seeds' down
    /// the left, and each cell the row seed's W with the column seed's styles.
    public static func figure(model: Model, rows: [UInt32], columns: [UInt32], styles: [Int],
                              truncation: Truncation, noise: NoiseMode = .const) throws -> Image {
        let numWs = model.config.numWs
        if let bad = styles.first(where: { $0 < 0 || $0 >= numWs }) {
            throw RuntimeError.badInput("style index \(bad) is outside 0...\(numWs - 1) (the model has \(numWs) W vectors)")
        }
        return try render(model: model, rows: rows, columns: columns, styles: styles, truncation: truncation, noise: noise)
    }

    private static func render(model: Model, rows: [UInt32], columns: [UInt32], styles: [Int],
                               truncation: Truncation, noise: NoiseMode) throws -> Image {
        let c = model.config, g = model.generator
        let seeds = rows + columns
        let z = Latents.z(seeds: seeds, zDim: c.zDim)
        let ws = try g.map(z: z, labels: [Float](repeating: 0, count: seeds.count * c.cDim), count: seeds.count, truncation: truncation)
        let per = c.numWs * c.wDim
        func w(_ i: Int) -> ArraySlice<Float> { ws.data[(i * per)..<((i + 1) * per)] }
        var cells: [[Float]] = []
        for r in rows.indices {
            for col in columns.indices { cells.append(mix(w(r), w(rows.count + col), styles: styles, wDim: c.wDim)) }
        }
        let singles = try Images.from(try g.synthesize(ws: ws, noise: noise))
        let mixed = try Images.from(try g.synthesize(ws: Value(data: Array(cells.joined()), dims: [cells.count, c.numWs, c.wDim]), noise: noise))
        let blank = try Image(width: singles[0].width, height: singles[0].height, channels: singles[0].channels, fill: 0)
        var tiles = [blank] + singles[rows.count...]
        for r in rows.indices { tiles += [singles[r]] + mixed[(r * columns.count)..<((r + 1) * columns.count)] }
        return try ImageGrid.make(tiles, columns: columns.count + 1)
    }
}
