// Import speed of an NVlabs pickle: parse (exec-free pickle VM) + import into the canonical
// graph, median of several runs, and the peak resident memory of the process.
//
//     swift run -c release import-bench FILE.pkl [--runs 5]
import Foundation
import PickleReader
import StyleGAN

#if canImport(Glibc)
import Glibc
#endif

let args = CommandLine.arguments
guard args.count >= 2 else {
    print("usage: import-bench FILE.pkl [--runs N]")
    exit(2)
}
let path = args[1]
let runs = args.firstIndex(of: "--runs").flatMap { Int(args[$0 + 1]) } ?? 5
let size = Double((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }

var parse: [Double] = [], total: [Double] = []
var parameters = 0
for _ in 0..<runs {
    let start = ContinuousClock.now
    let root = try Pickle.load(path: path)
    let parsed = ContinuousClock.now
    let model = try NVlabsPickle.importModel(root)
    let end = ContinuousClock.now
    parameters = model.parameterCount
    parse.append(seconds(parsed - start))
    total.append(seconds(end - start))
}
func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
let peak = Double(usage.ru_maxrss) * 1024
print(String(format: "%@: %.0f MB, %d generator parameters", path, size / 1e6, parameters))
print(String(format: "parse  median %.3f s = %.0f MB/s", median(parse), size / 1e6 / median(parse)))
print(String(format: "import median %.3f s = %.0f MB/s (parse + graph import)", median(total), size / 1e6 / median(total)))
print(String(format: "peak RSS %.0f MB = %.2f × file size", peak / 1e6, peak / size))
