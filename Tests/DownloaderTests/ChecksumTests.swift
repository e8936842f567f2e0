import Foundation
import Testing

@testable import Downloader

@Suite("Checksums")
struct ChecksumTests {
  @Test("SHA-256 and MD5 of 'abc' equal the published test vectors")
  func vectors() {
    let abc = Data("abc".utf8)
    // FIPS 180-2 and RFC 1321 test vectors.
    #expect(
      Checksum.sha256Hex(abc) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(Checksum.md5Hex(abc) == "900150983cd24fb0d6963f7d28e17f72")
    #expect(Checksum.sha256Prefix("BA7816BF").matches(sha256: Checksum.sha256Hex(abc), md5: ""))
    #expect(!Checksum.md5("00").matches(sha256: "", md5: Checksum.md5Hex(abc)))
  }
}
