public import Tensors

/// An 8-bit image: `height` rows of `width` pixels of `channels` bytes (1 gray, 3 RGB,
/// 4 RGBA), row-major HWC. Width and height are at least 1, so every image can be a PNG.
public struct Image: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws(ImageError) {
        let count = try Image.byteCount(width: width, height: height, channels: channels)
        guard pixels.count == count else {
            throw .pixelCountMismatch(width: width, height: height, channels: channels, count: pixels.count)
        }
        (self.width, self.height, self.channels, self.pixels) = (width, height, channels, pixels)
    }

    /// An image filled with `value` in every channel.
    public init(width: Int, height: Int, channels: Int, fill value: UInt8 = 0) throws(ImageError) {
        let count = try Image.byteCount(width: width, height: height, channels: channels)
        (self.width, self.height, self.channels) = (width, height, channels)
        pixels = [UInt8](repeating: value, count: count)
    }

    /// Channel `c` of the pixel in column `x`, row `y`.
    public subscript(x: Int, y: Int, c: Int) -> UInt8 {
        get { pixels[(y * width + x) * channels + c] }
        set { pixels[(y * width + x) * channels + c] = newValue }
    }

    /// PNG's limit, and small enough that the byte count below cannot overflow.
    static let maxSide = Int(Int32.max)

    static func byteCount(width: Int, height: Int, channels: Int) throws(ImageError) -> Int {
        guard [1, 3, 4].contains(channels) else { throw .unsupportedChannels(channels) }
        guard (1...maxSide).contains(width), (1...maxSide).contains(height) else {
            throw .invalidSize(width: width, height: height)
        }
        let (pixels, o1) = width.multipliedReportingOverflow(by: height)
        let (bytes, o2) = pixels.multipliedReportingOverflow(by: channels)
        guard !o1, !o2 else { throw .invalidSize(width: width, height: height) }
        return bytes
    }
}

public enum ImageError: Error, Equatable, CustomStringConvertible {
    case unsupportedChannels(Int)
    case invalidSize(width: Int, height: Int)
    case pixelCountMismatch(width: Int, height: Int, channels: Int, count: Int)
    case notAnImageTensor(shape: Shape, dtype: DType, reason: String)
    case imageIndexOutOfRange(index: Int, count: Int)
    case emptyGrid
    case invalidGridLayout(String)
    case mismatchedTile(index: Int, expected: String, actual: String)

    public var description: String {
        switch self {
        case let .unsupportedChannels(c): "an image has 1 (gray), 3 (RGB) or 4 (RGBA) channels, not \(c)"
        case let .invalidSize(w, h): "image size \(w)×\(h) is not between 1 and \(Image.maxSide) on each side"
        case let .pixelCountMismatch(w, h, c, n): "a \(w)×\(h) image with \(c) channels needs \(w * h * c) bytes, got \(n)"
        case let .notAnImageTensor(shape, dtype, reason): "\(dtype) tensor of shape \(shape) is not an image: \(reason)"
        case let .imageIndexOutOfRange(i, n): "image index \(i) is out of range for a batch of \(n)"
        case .emptyGrid: "an image grid needs at least one image"
        case let .invalidGridLayout(reason): "invalid image grid: \(reason)"
        case let .mismatchedTile(i, expected, actual): "image \(i) is \(actual), the first image is \(expected)"
        }
    }
}
