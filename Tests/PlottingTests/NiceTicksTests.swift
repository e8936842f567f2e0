import Plotting
import TestSupport
import Testing

@Suite("NiceTicks")
struct NiceTicksTests {
  // raw = span / target; fraction = raw / 10^floor(log10 raw); <1.5 → 1, <3 → 2, <7 → 5, else 10.
  @Test(
    "step rounds span/target to 1, 2 or 5 × 10^k",
    arguments: [
      (1.0, 5, 0.2),  // raw 0.2: fraction 2 → 2 × 0.1
      (10.0, 5, 2.0),  // raw 2 → 2
      (11.9, 5, 2.0),  // raw 2.38 → 2
      (100.0, 5, 20.0),  // raw 20 → 2 × 10
      (7.0, 5, 1.0),  // raw 1.4 → 1
      (0.03, 5, 0.005),  // raw 0.006: fraction 6 → 5 × 0.001
      (8.0, 2, 5.0),  // raw 4 → 5
      (9.0, 1, 10.0),  // raw 9 → 10
    ])
  func step(span: Double, target: Int, expected: Double) {
    expectClose(NiceTicks.step(span: span, targetCount: target), expected, absolute: 1e-12)
  }

  @Test("degenerate spans give step 0 and no ticks")
  func degenerate() {
    #expect(NiceTicks.step(span: 0, targetCount: 5) == 0)
    #expect(NiceTicks.step(span: .nan, targetCount: 5) == 0)
    #expect(NiceTicks.linear(3...3).isEmpty)
  }

  @Test("linear ticks are exact multiples inside the range")
  func linear() {
    #expect(NiceTicks.linear(0...1) == [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    #expect(NiceTicks.linear(-3.7...8.2) == [-2, 0, 2, 4, 6, 8])
    #expect(NiceTicks.linear(-3...3, targetCount: 6) == [-3, -2, -1, 0, 1, 2, 3])
  }

  @Test("expanded widens to the next multiples of the step")
  func expanded() {
    // span 8.9, raw 1.78 → step 2.
    #expect(NiceTicks.expanded(0.3...9.2) == 0...10)
    #expect(NiceTicks.expanded(-0.15...0.95) == -0.2...1.0)
  }

  @Test("log ticks are the powers of ten, or 1-2-5 within one decade")
  func logarithmic() {
    expectClose(
      NiceTicks.logarithmic(0.001...10), [0.001, 0.01, 0.1, 1, 10], absolute: 0, relative: 1e-12)
    expectClose(NiceTicks.logarithmic(0.15...0.9), [0.2, 0.5], absolute: 0, relative: 1e-12)
  }

  @Test("labels use the step's decimals and a true minus sign")
  func labels() {
    #expect(NiceTicks.label(-0.5, step: 0.5) == "\u{2212}0.5")
    #expect(NiceTicks.label(2, step: 1) == "2")
    #expect(NiceTicks.label(0.4, step: 0.2) == "0.4")
    #expect(NiceTicks.label(0.25, step: 0.25) == "0.25")
    #expect(NiceTicks.label(1.0, step: 0.05) == "1.00")
    #expect(NiceTicks.label(0, step: 0.1) == "0")
    #expect(NiceTicks.label(1e-5, step: 1e-5) == "1e-5")
    #expect(NiceTicks.label(2_000_000, step: 1_000_000) == "2e6")
    #expect(NiceTicks.logLabel(0.001) == "10⁻³")
    #expect(NiceTicks.logLabel(1) == "1")
    #expect(NiceTicks.logLabel(100) == "10²")
  }
}

@Suite("ScaleMapping")
struct ScaleMappingTests {
  @Test("linear mapping is affine from domain to pixels")
  func linear() {
    let x = ScaleMapping(domain: 0...10, start: 100, end: 300)
    #expect(x(0) == 100)
    #expect(x(5) == 200)
    #expect(x(10) == 300)
    #expect(x(-5) == 0)  // extrapolates; the SVG clips
    #expect(x(.nan) == nil)
    #expect(x.pixelsPerUnit == 20)
  }

  @Test("y mapping is flipped: larger values get smaller pixel y")
  func flipped() {
    let y = ScaleMapping(domain: -1...1, start: 400, end: 100)
    #expect(y(-1) == 400)
    #expect(y(1) == 100)
    #expect(y(0) == 250)
  }

  @Test("log mapping spaces decades evenly and drops non-positive values")
  func logarithmic() {
    let y = ScaleMapping(domain: 1...100, start: 0, end: 200, scale: .log10)
    expectClose(y(10) ?? .nan, 100)
    expectClose(y(100) ?? .nan, 200)
    #expect(y(0) == nil)
    #expect(y(-1) == nil)
  }
}
