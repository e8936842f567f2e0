import Dispatch
import Kernels
import Testing

@Suite("ScratchPool")
struct ScratchPoolTests {
  @Test("a returned buffer is reused; nested and concurrent users never share one")
  func reuse() {
    let pool = ScratchPool()
    let first = pool.withBuffer(1000) { UInt(bitPattern: $0) }
    let second = pool.withBuffer(800) { UInt(bitPattern: $0) }
    #expect(first == second)  // the idle 1000-float buffer serves the smaller request
    pool.withBuffer(100) { outer in
      pool.withBuffer(100) { inner in #expect(outer != inner) }
    }
    // Many threads writing their own pattern never see another thread's values.
    DispatchQueue.concurrentPerform(iterations: 64) { iteration in
      pool.withBuffer(4096) { buffer in
        for index in 0..<4096 { buffer[index] = Float(iteration) }
        for index in 0..<4096 where buffer[index] != Float(iteration) {
          Issue.record("buffer shared across threads at \(index)")
          break
        }
      }
    }
  }
}
