/// A tensor shape, outermost dimension first (row-major, as PyTorch and NumPy).
///
/// Every shape that exists has a non-negative element count that fits in `Int`: the checks
/// happen once, here, so readers can trust `count` before they allocate.
public struct Shape: Hashable, Sendable, CustomStringConvertible {
    public let dims: [Int]
    /// Product of `dims` (1 for rank 0). Zero-size dimensions are allowed.
    public let count: Int

    public init(_ dims: [Int]) throws(ShapeError) {
        var product = 1
        var overflowed = false
        for d in dims {
            guard d >= 0 else { throw .negativeDimension(dims) }
            if overflowed { continue }
            let (p, o) = product.multipliedReportingOverflow(by: d)
            if o { overflowed = true } else { product = p }
        }
        // A zero dimension makes the product 0 even when the other dimensions overflow.
        if dims.contains(0) { product = 0 } else if overflowed { throw .countOverflow(dims) }
        self.dims = dims
        self.count = product
    }

    public static let scalar = try! Shape([])

    public var rank: Int { dims.count }

    /// Byte count for elements of `dtype`, overflow-checked.
    public func byteCount(of dtype: DType) throws(ShapeError) -> Int {
        let (bytes, o) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !o else { throw .countOverflow(dims) }
        return bytes
    }

    /// Row-major strides in elements.
    public var strides: [Int] {
        var s = [Int](repeating: 1, count: dims.count)
        var acc = 1
        for i in dims.indices.reversed() {
            s[i] = acc
            acc &*= dims[i]
        }
        return s
    }

    public var description: String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }
}

public enum ShapeError: Error, Equatable, CustomStringConvertible {
    case negativeDimension([Int])
    case countOverflow([Int])

    public var description: String {
        switch self {
        case .negativeDimension(let d): "shape \(d) has a negative dimension"
        case .countOverflow(let d): "shape \(d) has more elements than fit in memory"
        }
    }
}
