import Foundation
import Testing
import ByteIO
import TestSupport

@Suite struct SHA256Tests {
    /// FIPS 180-4 example digests.
    @Test func knownVectors() {
        #expect(hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    /// Lengths around the block and padding boundaries, fed in uneven pieces, against hashlib.
    @Test func matchesPythonHashlibAcrossBoundaries() throws {
        let lengths = [55, 56, 63, 64, 65, 119, 120, 1000]
        let r = try runPython("import hashlib,sys\nfor n in map(int, sys.argv[1:]): print(hashlib.sha256(bytes(i * 7 % 251 for i in range(n))).hexdigest())",
                              lengths.map(String.init))
        let expected = r.stdout.split(separator: "\n").map(String.init)
        try #require(expected.count == lengths.count, "python: \(r.stderr)")
        for (n, want) in zip(lengths, expected) {
            let bytes = (0..<n).map { UInt8($0 * 7 % 251) }
            var h = SHA256()
            var i = 0
            while i < n { let j = min(n, i + 1 + i % 37); bytes[i..<j].withUnsafeBytes { h.update($0) }; i = j }
            #expect(h.finalize().map { String(format: "%02x", $0) }.joined() == want, "length \(n)")
        }
    }

    private func hash(_ s: String) -> String { Array(s.utf8).withUnsafeBytes { SHA256.hex($0) } }
}
