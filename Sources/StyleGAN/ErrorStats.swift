import Foundation

/// How far one float array is from another: max |err|, RMSE, and PSNR with peak-to-peak 2
/// (the [-1, 1] image range), as `verify` reports them.
public struct ErrorStats: Sendable {
    public var maxError: Float
    public var rmse: Float
    public var psnr: Float

    /// `x` and `y` have equal counts; a NaN difference counts as an infinite error.
    public init(_ x: [Float], _ y: [Float]) {
        var maxErr: Float = 0, sq = 0.0
        for (a, b) in zip(x, y) {
            let e = abs(a - b)
            maxErr = e.isNaN ? .infinity : max(maxErr, e)
            sq += Double(e) * Double(e)
        }
        let mse = x.isEmpty ? 0 : sq / Double(x.count)
        maxError = maxErr
        rmse = Float(mse.squareRoot())
        psnr = mse == 0 ? .infinity : Float(10 * log10(4 / mse))
    }
}
