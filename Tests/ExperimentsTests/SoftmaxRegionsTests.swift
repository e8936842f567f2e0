import Experiments
import Foundation
import Plotting
import TestSupport
import Testing

@Suite("SoftmaxRegions")
struct SoftmaxRegionsTests {
  let result = SoftmaxRegions.assignment.analyze()

  // By hand: 3x1 + x2 + 1 = x1 + 3x2 + 2  ⇒  2x1 − 2x2 = 1;
  //          x1 + 3x2 + 2 = −3x1 + 1.5x2 + 2  ⇒  4x1 + 1.5x2 = 0  ⇒  x2 = −(8/3) x1;
  // so 2x1 + (16/3) x1 = 1 ⇒ x1 = 3/22, x2 = −8/22 = −4/11, and a1 = 9/22 − 8/22 + 1 = 23/22.
  @Test("the assignment's common point is (3/22, −4/11) with all activations 23/22")
  func commonPoint() throws {
    let common = try #require(result.commonPoint)
    expectClose(common.point.x, 3.0 / 22, absolute: 1e-12)
    expectClose(common.point.y, -4.0 / 11, absolute: 1e-12)
    expectClose(common.activation, 23.0 / 22, absolute: 1e-12)
    expectClose(
      SoftmaxRegions.assignment.activations(at: common.point), [23.0 / 22, 23.0 / 22, 23.0 / 22])
  }

  @Test("probabilities at the common point are 1/3 each")
  func oneThird() throws {
    let common = try #require(result.commonPoint)
    expectClose(common.probabilities, [1.0 / 3, 1.0 / 3, 1.0 / 3], absolute: 1e-12)
  }

  // Directions by hand: the line a_i = a_j is perpendicular to w_i − w_j; the ray is the side on
  // which the third class loses. C1/C2: w1 − w2 = (2, −2) → (1, 1)/√2 (there (w1 − w3)·d = 5.5/√2 > 0).
  // C2/C3: w2 − w3 = (4, 1.5) → (−1.5, 4)/√18.25. C1/C3: w1 − w3 = (6, −0.5) → (−0.5, −6)/√36.25.
  @Test("there are three boundary rays from the common point in the hand-derived directions")
  func rays() throws {
    #expect(result.boundaries.count == 3)
    let expected: [String: (Double, Double)] = [
      "01": (1 / 2.0.squareRoot(), 1 / 2.0.squareRoot()),
      "12": (-1.5 / 18.25.squareRoot(), 4 / 18.25.squareRoot()),
      "02": (-0.5 / 36.25.squareRoot(), -6 / 36.25.squareRoot()),
    ]
    for boundary in result.boundaries {
      #expect(boundary.kind == .ray)
      let direction = try #require(expected["\(boundary.first)\(boundary.second)"])
      expectClose(boundary.direction.x, direction.0, absolute: 1e-12)
      expectClose(boundary.direction.y, direction.1, absolute: 1e-12)
      expectClose(boundary.origin.x, 3.0 / 22, absolute: 1e-12)
    }
  }

  // Along the C1/C2 ray at distance t: a1 = a2 and a1 − a3 = t·5.5/√2, so
  // p3 = e^(−5.5t/√2) / (2 + e^(−5.5t/√2)) and p1 = p2 = 1 / (2 + e^(−5.5t/√2)).
  @Test("along a boundary ray the tied pair is equal, follows the formula and tends to 1/2 each")
  func alongRay() throws {
    let ray = try #require(result.boundaries.first { $0.first == 0 && $0.second == 1 })
    for sample in ray.samples {
      let e = exp(-5.5 * sample.distance / 2.0.squareRoot())
      expectClose(sample.probabilities, [1 / (2 + e), 1 / (2 + e), e / (2 + e)], absolute: 1e-12)
    }
    for boundary in result.boundaries {
      for sample in boundary.samples {
        expectClose(
          sample.probabilities[boundary.first], sample.probabilities[boundary.second],
          absolute: 1e-12)
      }
      let far = try #require(boundary.samples.last)
      #expect(far.distance == 20)
      expectClose(
        far.probabilities[boundary.first] + far.probabilities[boundary.second], 1, absolute: 1e-12)
      expectClose(far.probabilities[boundary.first], 0.5, absolute: 1e-12)
    }
  }

  @Test("far into the middle of each region that class's probability tends to 1")
  func farInRegion() throws {
    #expect(result.regions.map(\.classIndex) == [0, 1, 2])
    #expect(result.classesWithoutRegion.isEmpty)
    for region in result.regions {
      let far = try #require(region.samples.last)
      expectClose(far.probabilities[region.classIndex], 1, absolute: 1e-12)
      #expect(region.losingRates.allSatisfy { $0.rate > 0 })
      // Monotone increase along the direction.
      let p = region.samples.map { $0.probabilities[region.classIndex] }
      #expect(zip(p, p.dropFirst()).allSatisfy { $0 <= $1 })
    }
    // C1's sector lies between the C1/C2 ray (1, 1)/√2 and the C1/C3 ray (−0.5, −6)/√36.25;
    // its bisector is the normalised sum of the two unit vectors.
    let c1 = try #require(result.regions.first { $0.classIndex == 0 })
    let sx = 1 / 2.0.squareRoot() - 0.5 / 36.25.squareRoot()
    let sy = 1 / 2.0.squareRoot() - 6 / 36.25.squareRoot()
    let norm = (sx * sx + sy * sy).squareRoot()
    expectClose(c1.direction.x, sx / norm, absolute: 1e-9)
    expectClose(c1.direction.y, sy / norm, absolute: 1e-9)
  }

  @Test("the sectors' opening angles add up to 360°")
  func sectors() {
    expectClose(result.regions.map(\.openingDegrees).reduce(0, +), 360, absolute: 1e-9)
  }

  @Test("the answers quote the computed numbers")
  func answers() {
    let answers = result.answers()
    #expect(answers.count == 3)
    #expect(answers[0].contains("(0.1364, −0.3636)"))
    #expect(answers[0].contains("1/3"))
    #expect(answers[1].contains("1/2"))
    #expect(answers[2].contains("→ 1"))
  }
}

@Suite("SoftmaxRegions parsing")
struct SoftmaxRegionsParsingTests {
  @Test("the assignment's spec parses to the assignment's activations")
  func parsesAssignment() throws {
    let model = try SoftmaxRegions(spec: "3,1,1; 1,3,2; -3,1.5,2;")
    #expect(model.activations == SoftmaxRegions.assignment.activations)
  }

  @Test(
    "bad specs throw precise errors",
    arguments: [
      ("3,1; 1,3,2", SoftmaxRegionsError.wrongCount(activation: 1, found: 2, text: "3,1")),
      ("3,1,1; 1,3,2,4", .wrongCount(activation: 2, found: 4, text: "1,3,2,4")),
      ("3,1,x; 1,3,2", .notANumber(activation: 1, text: "x")),
      ("3,1,1; 1,inf,2", .notFinite(activation: 2, text: "inf")),
      ("3,1,1; nan,1,2", .notFinite(activation: 2, text: "nan")),
      ("3,1,1", .tooFewActivations(found: 1)),
      ("  ", .tooFewActivations(found: 0)),
    ])
  func errors(spec: String, expected: SoftmaxRegionsError) {
    #expect(throws: expected) { try SoftmaxRegions(spec: spec) }
  }

  @Test("error messages name the activation and the expected format")
  func messages() {
    let message = SoftmaxRegionsError.wrongCount(activation: 2, found: 2, text: "1,3").description
    #expect(message.contains("activation 2"))
    #expect(message.contains("\"1,3\""))
    #expect(message.contains("exactly 3"))
  }
}

@Suite("SoftmaxRegions without a common point")
struct SoftmaxRegionsNoCommonPointTests {
  // a1 = x1, a2 = x2, a3 = −x1, a4 = −x2 + 1: a1 = a3 forces x1 = 0, a2 = a1 forces x2 = 0,
  // but then a4 = 1 ≠ 0, so the three equations are inconsistent.
  @Test("four activations in general position have no common point but still have boundaries")
  func fourClasses() throws {
    let model = try SoftmaxRegions(spec: "1,0,0; 0,1,0; -1,0,0; 0,-1,1")
    let result = model.analyze()
    #expect(result.commonPoint == nil)
    #expect(result.noCommonPointReason?.contains("no common solution") == true)
    #expect(!result.boundaries.isEmpty)
    for boundary in result.boundaries {
      // Just inside the piece, the tied pair are the top two, equal.
      let t = boundary.length.map { $0 / 2 } ?? 1
      let p = model.probabilities(
        at: Point(
          boundary.origin.x + t * boundary.direction.x, boundary.origin.y + t * boundary.direction.y
        ))
      expectClose(p[boundary.first], p[boundary.second], absolute: 1e-12)
      let others = p.indices.filter { $0 != boundary.first && $0 != boundary.second }.map { p[$0] }
      #expect(others.allSatisfy { $0 < p[boundary.first] })
    }
    // By hand: a1 = a2 = a3 = a4 nowhere; a1 = a3 = 0 on x1 = 0 where a2 = x2 and a4 = 1 − x2, so
    // the pair C1/C3 is never on top (C2 or C4 is at least 1/2 > 0): not a boundary.
    #expect(!result.boundaries.contains { $0.first == 0 && $0.second == 2 })
    #expect(result.regions.count == 4)
  }

  @Test("two classes tie on a whole line with p = 1/2 each")
  func twoClasses() throws {
    let result = try SoftmaxRegions(spec: "1,0,0; -1,0,0").analyze()
    #expect(result.commonPoint == nil)
    #expect(result.boundaries.count == 1)
    let line = try #require(result.boundaries.first)
    #expect(line.kind == .line)
    for sample in line.samples { expectClose(sample.probabilities, [0.5, 0.5], absolute: 1e-12) }
  }

  @Test("parallel weight differences: never tied pairs are reported")
  func parallel() throws {
    let result = try SoftmaxRegions(spec: "1,0,0; 1,0,1; 2,0,0").analyze()
    #expect(result.commonPoint == nil)
    #expect(result.hiddenPairs.contains { $0.hasPrefix("C1/C2") && $0.contains("never tied") })
  }
}

@Suite("SoftmaxRegions report")
struct SoftmaxRegionsReportTests {
  @Test("section writes both figures as SVG and PNG and lists them")
  func section() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "softmax-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let section = try SoftmaxRegions.assignment.analyze().section(figuresIn: folder)
    #expect(section.figures.count == 6)
    for name in section.figures {
      #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path))
      #expect(section.html.contains(name))
    }
    #expect(section.text.contains("1/3"))
  }

  @Test("a missing folder throws a PlotError naming the file")
  func missingFolder() {
    let folder = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)")
    #expect(throws: PlotError.self) {
      try SoftmaxRegions.assignment.analyze().section(figuresIn: folder)
    }
  }
}
