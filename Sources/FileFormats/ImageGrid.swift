/// Tiles images into one: row by row in the given order, `padding` pixels of `background`
/// between neighbouring tiles (none around the edge), unused cells of the last row left as
/// background.
public enum ImageGrid {
    /// `columns` defaults to ceil(sqrt(n)), which makes the grid as square as possible.
    /// All images must have the same width, height and channel count.
    public static func make(_ images: [Image], columns: Int? = nil, padding: Int = 0,
                            background: UInt8 = 0) throws(ImageError) -> Image {
        guard let first = images.first else { throw .emptyGrid }
        let columns = columns ?? squareColumns(images.count)
        guard columns >= 1 else { throw .invalidGridLayout("columns must be at least 1, not \(columns)") }
        guard padding >= 0 else { throw .invalidGridLayout("padding must not be negative, not \(padding)") }
        let shape = { (i: Image) in "\(i.width)×\(i.height) with \(i.channels) channels" }
        for (index, image) in images.enumerated()
        where (image.width, image.height, image.channels) != (first.width, first.height, first.channels) {
            throw .mismatchedTile(index: index, expected: shape(first), actual: shape(image))
        }

        let rows = (images.count + columns - 1) / columns
        let (tileW, tileH, c) = (first.width, first.height, first.channels)
        // Overflow-checked: columns and padding come from the caller.
        let width = try checkedSpan(count: columns, tile: tileW, padding: padding)
        let height = try checkedSpan(count: rows, tile: tileH, padding: padding)
        var grid = try Image(width: width, height: height, channels: c, fill: background)

        let rowBytes = tileW * c
        for (index, image) in images.enumerated() {
            let x0 = (index % columns) * (tileW + padding)
            let y0 = (index / columns) * (tileH + padding)
            for y in 0..<tileH {
                let dst = ((y0 + y) * width + x0) * c
                grid.pixels.replaceSubrange(dst..<(dst + rowBytes), with: image.pixels[(y * rowBytes)..<((y + 1) * rowBytes)])
            }
        }
        return grid
    }

    /// The smallest c with c * c >= n.
    static func squareColumns(_ n: Int) -> Int {
        var c = Int(Double(n).squareRoot().rounded(.up))
        while c * c < n { c += 1 }
        while c > 1, (c - 1) * (c - 1) >= n { c -= 1 }
        return c
    }

    /// count * tile + (count - 1) * padding, or an error when it does not fit.
    private static func checkedSpan(count: Int, tile: Int, padding: Int) throws(ImageError) -> Int {
        let (tiles, o1) = count.multipliedReportingOverflow(by: tile)
        let (gaps, o2) = (count - 1).multipliedReportingOverflow(by: padding)
        let (total, o3) = tiles.addingReportingOverflow(gaps)
        guard !o1, !o2, !o3, total <= Image.maxSide else {
            throw .invalidGridLayout("\(count) tiles of \(tile) pixels with padding \(padding) are too large")
        }
        return total
    }
}
