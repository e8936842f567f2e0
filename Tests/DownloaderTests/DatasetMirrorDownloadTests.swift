import FlyingFox
import Foundation
import LoopbackSupport
import Testing
import Vision

@Suite("Dataset download through a mirror on loopback")
struct DatasetMirrorDownloadTests {
  @Test("a mirror serving the wrong bytes is refused by torchvision's MD5, leaving nothing behind")
  func wrongBytes() async throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-mirror-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    try await LoopbackHandler { _, _ in Serve.whole(Data(repeating: 7, count: 1000)) }.serve {
      server in
      do {
        _ = try await DatasetDownload.fetch(
          .cifar10, root: root, mirror: server.url("/mirror"), retries: 0)
        Issue.record("bytes that do not match cifar-10-python.tar.gz's MD5 must be refused")
      } catch {
        #expect("\(error)".contains("cifar-10-python.tar.gz"))
      }
      // The request went to the mirror, for torchvision's file name.
      #expect(await server.log.count >= 1)
    }
    #expect(
      !FileManager.default.fileExists(
        atPath: root.appendingPathComponent("cifar-10-python.tar.gz").path))
  }

  @Test("a mirror that does not have the file gives the HTTP status and the URL")
  func missingFile() async throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classify-mirror-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    try await LoopbackHandler { _, _ in HTTPResponse(statusCode: .notFound) }.serve { server in
      do {
        _ = try await DatasetDownload.fetch(
          .mnist, root: root, mirror: server.url("/m"), retries: 0)
        Issue.record("a 404 must fail")
      } catch {
        #expect("\(error)".contains("404") && "\(error)".contains("127.0.0.1"))
      }
    }
  }
}
