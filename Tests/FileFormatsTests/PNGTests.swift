import FileFormats
import Foundation
import Tensors
import TestSupport
import Testing

/// PNG encoding against an independent decoder (Python's zlib and struct only), the NVlabs
/// pixel conversion against NumPy, and the grid layout against its definition.
@Suite struct PNGTests {
    /// Decodes each PNG named on the command line: checks the signature, every chunk's CRC, the
    /// chunk order, inflates the IDAT stream and undoes the row filters. Prints one JSON object
    /// per file.
    static let decoder = #"""
    import json, struct, sys, zlib

    def decode(path):
        data = open(path, "rb").read()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", "bad signature"
        pos, chunks, idat = 8, [], b""
        while pos < len(data):
            length, kind = struct.unpack(">I4s", data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + length]
            (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
            assert len(body) == length, "truncated chunk"
            assert zlib.crc32(kind + body) == crc, "bad CRC in " + kind.decode()
            chunks.append(kind.decode())
            if kind == b"IHDR":
                w, h, depth, colour, comp, filt, inter = struct.unpack(">IIBBBBB", body)
            if kind == b"IDAT":
                idat += body
            pos += 12 + length
        assert chunks[0] == "IHDR" and chunks[-1] == "IEND" and chunks.count("IEND") == 1
        kinds = "".join("D" if c == "IDAT" else "x" for c in chunks)
        assert kinds.strip("x").count("x") == 0, "IDAT chunks not consecutive"
        bpp = {0: 1, 2: 3, 6: 4}[colour]
        raw = zlib.decompress(idat)
        stride, out, prev, filters, p = w * bpp, bytearray(), bytearray(w * bpp), [], 0
        for _ in range(h):
            ft = raw[p]; p += 1; filters.append(ft)
            line = bytearray(raw[p:p + stride]); p += stride
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                if ft == 0: pred = 0
                elif ft == 1: pred = a
                elif ft == 2: pred = b
                elif ft == 3: pred = (a + b) // 2
                elif ft == 4:
                    q = a + b - c
                    pa, pb, pc = abs(q - a), abs(q - b), abs(q - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                else: raise ValueError("bad filter type %d" % ft)
                line[i] = (line[i] + pred) & 255
            out += line
            prev = line
        assert p == len(raw), "extra image data"
        return {"width": w, "height": h, "depth": depth, "colour": colour, "compression": comp,
                "filter": filt, "interlace": inter, "idat": chunks.count("IDAT"),
                "filters": sorted(set(filters)), "pixels": out.hex()}

    print(json.dumps([decode(p) for p in sys.argv[1:]]))
    """#

    struct Decoded: Decodable {
        let width: Int, height: Int, depth: Int, colour: Int, compression: Int, filter: Int, interlace: Int
        let idat: Int, filters: [Int], pixels: String
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// An image mixing smooth gradients (which favour the predicting filters) with noise.
    static func sample(_ w: Int, _ h: Int, _ c: Int, noise: Bool = false, seed: UInt64 = 1) throws -> Image {
        var s = seed
        var image = try Image(width: w, height: h, channels: c)
        for y in 0..<h {
            for x in 0..<w {
                for ch in 0..<c {
                    s = s &* 6364136223846793005 &+ 1442695040888963407
                    let jitter = Int(s >> 60)
                    image[x, y, ch] = UInt8(truncatingIfNeeded: noise ? Int(s >> 40) : x * 7 + y * 3 + ch * 50 + jitter)
                }
            }
        }
        return image
    }

    @Test func encodedImagesDecodeExactlyInPython() throws {
        let images = [
            try Self.sample(7, 5, 1), try Self.sample(13, 3, 3), try Self.sample(1, 1, 4),
            try Self.sample(5, 11, 3), try Self.sample(1, 9, 1), try Self.sample(9, 1, 4),
            try Self.sample(31, 17, 4), try Self.sample(64, 33, 3),
            try Self.sample(300, 200, 4, noise: true),  // incompressible: several IDAT chunks
        ]
        let dir = try TestPaths.temporaryDirectory("png-decode")
        defer { try? FileManager.default.removeItem(at: dir) }
        var paths: [String] = []
        for (i, image) in images.enumerated() {
            let path = dir.appendingPathComponent("\(i).png").path
            try PNG.write(image, to: path)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(PNG.encode(image)))
            paths.append(path)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).count == images.count)

        let r = try runPython(Self.decoder, paths)
        try #require(r.status == 0, "python decoder: \(r.stderr)")
        let decoded = try JSONDecoder().decode([Decoded].self, from: Data(r.stdout.utf8))
        try #require(decoded.count == images.count)
        var filtersSeen = Set<Int>()
        for (image, d) in zip(images, decoded) {
            let label = "\(image.width)×\(image.height)×\(image.channels)"
            let header: [Int] = [d.width, d.height, d.depth, d.compression, d.filter, d.interlace]
            #expect(header == [image.width, image.height, 8, 0, 0, 0], "\(label)")
            #expect(d.colour == [1: 0, 3: 2, 4: 6][image.channels], "\(label)")
            #expect(d.pixels == Self.hex(image.pixels), "\(label)")
            filtersSeen.formUnion(d.filters)
        }
        #expect(decoded.last!.idat > 1)
        // The decoder's unfiltering was exercised beyond "none".
        #expect(filtersSeen.count >= 3, "filter types used: \(filtersSeen.sorted())")
    }

    // MARK: generator output → pixels, against NumPy

    static func bitsHex(_ values: [Float]) -> String {
        values.map { String($0.bitPattern, radix: 16) }.joined(separator: ",")
    }

    /// `np.clip(x * 127.5 + 128, 0, 255).astype(np.uint8)` in float32, as the NVlabs scripts.
    static let numpyConversion = #"""
    import sys, numpy as np
    bits = np.array([int(b, 16) for b in sys.argv[1].split(",")], dtype=np.uint32)
    x = bits.view(np.float32)
    shape = [int(d) for d in sys.argv[2].split(",")] if len(sys.argv) > 2 else [len(x)]
    x = x.reshape(shape)
    with np.errstate(invalid="ignore", over="ignore"):
        u8 = np.clip(x * np.float32(127.5) + np.float32(128), 0, 255).astype(np.uint8)
    if len(shape) == 4:
        u8 = u8[int(sys.argv[3])]
    if len(shape) >= 3:
        u8 = u8.transpose(1, 2, 0)
    print(np.ascontiguousarray(u8).tobytes().hex())
    """#

    @Test func pixelConversionMatchesNumPy() throws {
        var values: [Float] = [-1.0039, -1, 0, 0.99, 1, 1.0039, -0.0, .infinity, -.infinity, 1e30, -1e30,
                               .leastNonzeroMagnitude, 0.5, -0.5, 1.0039216, -1.0039216, 2, -2]
        // Around every boundary where x * 127.5 + 128 crosses an integer, and a fine sweep.
        for k in -2...257 {
            let x = Float(k - 128) / 127.5
            values += [x.nextDown, x, x.nextUp]
        }
        values += (0...4000).map { Float(-1.02) + Float($0) * Float(2.04 / 4000) }
        let r = try runPython(Self.numpyConversion, [Self.bitsHex(values)])
        try #require(r.status == 0, "numpy: \(r.stderr)")
        let expected = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let numpy = Array(expected.utf8).chunks(2).map { UInt8(String(decoding: $0, as: UTF8.self), radix: 16) }
        try #require(numpy.count == values.count)
        let wrong = values.indices.filter { Image.pixelValue(values[$0]) != numpy[$0] }
        #expect(wrong.isEmpty, "\(wrong.count) mismatches")
        for i in wrong.prefix(10) {
            Issue.record("x = \(values[i]) (bits \(String(values[i].bitPattern, radix: 16))): ours \(Image.pixelValue(values[i])), numpy \(numpy[i].map(String.init) ?? "?")")
        }
        // NaN: NumPy leaves it to the platform's conversion (0 on x86); we define it as 0.
        #expect(Image.pixelValue(.nan) == 0)
        #expect(Image.pixelValue(-.nan) == 0)
    }

    @Test(arguments: [(4, [2, 3, 5, 7], 1), (4, [1, 1, 6, 3], 0), (3, [3, 4, 2], 0), (3, [4, 3, 3], 0)])
    func tensorToImageMatchesNumPy(rank: Int, dims: [Int], index: Int) throws {
        let count = dims.reduce(1, *)
        let values = (0..<count).map { Float(sin(Double($0) * 0.77)) * 1.1 }
        let tensor = try Tensor(.f32, shape: Shape(dims), floats: values)
        let image = try Image(generatorOutput: tensor, index: index)
        let (c, h, w) = (dims[rank - 3], dims[rank - 2], dims[rank - 1])
        let chw: [Int] = [image.channels, image.height, image.width]
        #expect(chw == [c, h, w])
        let r = try runPython(Self.numpyConversion, [Self.bitsHex(values), dims.map(String.init).joined(separator: ","), "\(index)"])
        try #require(r.status == 0, "numpy: \(r.stderr)")
        #expect(Self.hex(image.pixels) == r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func tensorToImageErrors() throws {
        let good = try Tensor(zeros: .f32, shape: Shape([2, 3, 4, 4]))
        #expect(throws: ImageError.imageIndexOutOfRange(index: 2, count: 2)) { try Image(generatorOutput: good, index: 2) }
        #expect(throws: ImageError.self) { try Image(generatorOutput: try Tensor(zeros: .f32, shape: Shape([1, 2, 4, 4]))) }
        #expect(throws: ImageError.self) { try Image(generatorOutput: try Tensor(zeros: .i32, shape: Shape([1, 3, 4, 4]))) }
        #expect(throws: ImageError.self) { try Image(generatorOutput: try Tensor(zeros: .f32, shape: Shape([3, 4]))) }
        #expect(throws: ImageError.invalidSize(width: 0, height: 4)) { try Image(generatorOutput: try Tensor(zeros: .f32, shape: Shape([3, 4, 0]))) }
        #expect(throws: ImageError.unsupportedChannels(2)) { try Image(width: 1, height: 1, channels: 2) }
        #expect(throws: ImageError.self) { try Image(width: 2, height: 2, channels: 1, pixels: [1, 2, 3]) }
    }

    // MARK: grids

    /// Tile t's pixel (x, y, c): a value unique to the position, so a misplaced tile shows.
    static func tile(_ t: Int, w: Int = 3, h: Int = 2, c: Int = 3) throws -> Image {
        var image = try Image(width: w, height: h, channels: c)
        for y in 0..<h { for x in 0..<w { for ch in 0..<c { image[x, y, ch] = UInt8(10 + t * 40 + y * 9 + x * 3 + ch) } } }
        return image
    }

    @Test func gridPlacesTilesRowByRow() throws {
        let tiles = try (0..<5).map { try Self.tile($0) }
        let grid = try ImageGrid.make(tiles, padding: 2, background: 7)
        // 5 images → ceil(sqrt(5)) = 3 columns, 2 rows; 3×2 tiles with 2-pixel gaps.
        let size: [Int] = [grid.width, grid.height, grid.channels]
        #expect(size == [13, 6, 3])
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                let (col, lx) = (x / 5, x % 5), (row, ly) = (y / 4, y % 4)
                let t = row * 3 + col
                for ch in 0..<3 {
                    let want: UInt8 = (lx < 3 && ly < 2 && t < 5) ? UInt8(10 + t * 40 + ly * 9 + lx * 3 + ch) : 7
                    #expect(grid[x, y, ch] == want, "(\(x), \(y), \(ch))")
                }
            }
        }
    }

    @Test func gridShapes() throws {
        for (n, columns) in [(1, 1), (2, 2), (4, 2), (5, 3), (9, 3), (10, 4), (17, 5)] {
            let grid = try ImageGrid.make(try (0..<n).map { _ in try Self.tile(0) })
            #expect(grid.width == columns * 3, "n = \(n)")
            #expect(grid.height == ((n + columns - 1) / columns) * 2, "n = \(n)")
        }
        let strip = try ImageGrid.make(try (0..<3).map { try Self.tile($0) }, columns: 1)
        let stripSize: [Int] = [strip.width, strip.height]
        #expect(stripSize == [3, 6])
        let stacked = try (0..<3).flatMap { try Self.tile($0).pixels }
        #expect(strip.pixels == stacked)
        let wide = try ImageGrid.make([try Self.tile(1)], columns: 3, background: 5)
        let wideSize: [Int] = [wide.width, wide.height]
        #expect(wideSize == [9, 2])
        #expect(wide[8, 1, 2] == 5)
    }

    @Test func gridErrors() throws {
        #expect(throws: ImageError.emptyGrid) { try ImageGrid.make([]) }
        #expect(throws: ImageError.self) { try ImageGrid.make([try Self.tile(0)], columns: 0) }
        #expect(throws: ImageError.self) { try ImageGrid.make([try Self.tile(0)], padding: -1) }
        #expect(throws: ImageError.mismatchedTile(index: 1, expected: "3×2 with 3 channels", actual: "3×2 with 4 channels")) {
            try ImageGrid.make([try Self.tile(0), try Self.tile(1, c: 4)])
        }
        #expect(throws: ImageError.self) { try ImageGrid.make([try Self.tile(0), try Self.tile(1, w: 4)]) }
    }
}

extension Array {
    /// Consecutive slices of `n` elements (the last may be shorter).
    fileprivate func chunks(_ n: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: n).map { self[$0..<Swift.min($0 + n, count)] }
    }
}
