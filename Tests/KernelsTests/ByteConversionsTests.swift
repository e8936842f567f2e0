import Foundation
import Kernels
import Testing

@Suite("ByteConversions")
struct ByteConversionsTests {
  @Test("floats and int32s round-trip through little-endian bytes at any offset")
  func roundTrip() {
    let floats: [Float] = [1, -2.5, .pi, 0, -0.0, 1e-40, .infinity]
    var data = Data([0xAA, 0xBB, 0xCC])  // an unaligned offset of 3
    data.append(ByteConversions.bytes(of: floats))
    #expect(
      ByteConversions.floats(from: data, offset: 3, count: floats.count).map(\.bitPattern)
        == floats.map(\.bitPattern))
    // 1.0f is 00 00 80 3F little-endian.
    #expect(Array(ByteConversions.bytes(of: [Float(1)])) == [0x00, 0x00, 0x80, 0x3F])
    let ints: [Int32] = [0, -1, 7, .max, .min]
    #expect(
      ByteConversions.int32s(from: ByteConversions.bytes(of: ints), offset: 0, count: 5) == ints)
    #expect(Array(ByteConversions.bytes(of: [Int32(258)])) == [0x02, 0x01, 0x00, 0x00])
  }

  @Test("CRC-32 gives the standard check value, chunk by chunk as whole")
  func crc32() {
    // The CRC-32/ISO-HDLC check value of "123456789".
    let digits = Data("123456789".utf8)
    #expect(ByteConversions.crc32(of: digits) == 0xCBF4_3926)
    let split = ByteConversions.crc32(
      of: digits.suffix(5), continuing: ByteConversions.crc32(of: digits.prefix(4)))
    #expect(split == 0xCBF4_3926)
    #expect(ByteConversions.crc32(of: Data()) == 0)
  }

  @Test("a chunk of floats is the matching slice of the whole array's bytes, clamped")
  func chunk() {
    let floats: [Float] = [1, -2.5, .pi, 0, -0.0, 1e-40, .infinity]
    let whole = Array(ByteConversions.bytes(of: floats))
    #expect(Array(ByteConversions.bytes(of: floats, in: 2..<5)) == Array(whole[8..<20]))
    #expect(Array(ByteConversions.bytes(of: floats, in: 5..<100)) == Array(whole[20..<28]))
    #expect(ByteConversions.bytes(of: floats, in: 9..<12).isEmpty)
    #expect(Array(ByteConversions.bytes(of: [Float(1)], in: 0..<1)) == [0x00, 0x00, 0x80, 0x3F])
  }
}
