import Foundation
import Plotting

extension SoftmaxRegions {
  /// Finds the common point, the decision boundaries, the regions' middle directions and
  /// tabulates `p(C_k|x)` along each.
  public func analyze() -> SoftmaxRegionsResult {
    let solution = leastSquaresPoint()
    var common: CommonPoint?
    var reason: String?
    if let point = solution.point, solution.consistent {
      let a = activations(at: point)
      common = CommonPoint(
        point: point, activation: a.reduce(0, +) / Double(a.count),
        probabilities: probabilities(at: point))
    } else if classCount == 2 {
      reason =
        "With only two classes, a1 = a2 holds on a whole line, so there is no single common point; "
        + "the boundary is that line."
    } else if solution.point == nil, let line = tieLine() {
      reason =
        "All activations are equal along a whole line through (\(SoftmaxRegions.format(line.x)), "
        + "\(SoftmaxRegions.format(line.y))) (the weight differences are parallel), not at a single point."
    } else if solution.point == nil {
      reason =
        "The weight differences w_i − w_j are all parallel, so the lines a_i = a_j are parallel "
        + "and never meet in one point."
    } else if let point = solution.point {
      reason =
        "The \(classCount - 1) equations a_1 = … = a_\(classCount) have no common solution: at the "
        + "least-squares point (\(SoftmaxRegions.format(point.x)), \(SoftmaxRegions.format(point.y))) "
        + "the activations still differ by up to \(SoftmaxRegions.format(solution.spread)). "
        + "The decision boundaries are the pairwise pieces listed below."
    }
    let start = common?.point ?? solution.point ?? Point(0, 0)
    let (boundaries, hidden) = decisionBoundaries(commonPoint: common?.point)
    let (regions, without) = regionDirections(from: start)
    return SoftmaxRegionsResult(
      activations: activations, commonPoint: common, noCommonPointReason: reason,
      boundaries: boundaries,
      hiddenPairs: hidden, start: start, regions: regions, classesWithoutRegion: without,
      distances: distances)
  }

  /// The scale of the coefficients, for tolerances.
  var coefficientScale: Double {
    activations.flatMap { [Swift.abs($0.w1), Swift.abs($0.w2), Swift.abs($0.b)] }.reduce(
      1, Swift.max)
  }

  /// Solves `a_i(x) = a_K(x)` for i < K in the least-squares sense (normal equations of the
  /// (K−1)×2 system `(w_i − w_K)·x = b_K − b_i`). `point` is nil when the system has rank < 2;
  /// `consistent` says whether all activations agree there to rounding.
  func leastSquaresPoint() -> (point: Point?, consistent: Bool, spread: Double) {
    guard let last = activations.last, classCount >= 2 else { return (nil, false, 0) }
    var m11 = 0.0
    var m12 = 0.0
    var m22 = 0.0
    var v1 = 0.0
    var v2 = 0.0
    for a in activations.dropLast() {
      let rx = a.w1 - last.w1
      let ry = a.w2 - last.w2
      let c = last.b - a.b
      m11 += rx * rx
      m12 += rx * ry
      m22 += ry * ry
      v1 += rx * c
      v2 += ry * c
    }
    let det = m11 * m22 - m12 * m12
    let trace = m11 + m22
    guard trace > 0, det > 1e-12 * trace * trace else { return (nil, false, 0) }
    let point = Point((m22 * v1 - m12 * v2) / det, (m11 * v2 - m12 * v1) / det)
    let a = activations(at: point)
    let spread = (a.max() ?? 0) - (a.min() ?? 0)
    let tolerance =
      1e-9 * coefficientScale * (1 + Swift.max(Swift.abs(point.x), Swift.abs(point.y)))
    return (point, spread <= tolerance, spread)
  }

  /// When all weight differences are parallel: a point where all activations are equal, if any
  /// (then they are equal along a whole line).
  func tieLine() -> Point? {
    guard let last = activations.last,
      let row = activations.dropLast().first(where: { $0.w1 != last.w1 || $0.w2 != last.w2 })
    else { return nil }
    let r = Point(row.w1 - last.w1, row.w2 - last.w2)
    let c = last.b - row.b
    let norm2 = r.x * r.x + r.y * r.y
    let point = Point(c * r.x / norm2, c * r.y / norm2)
    let a = activations(at: point)
    let spread = (a.max() ?? 0) - (a.min() ?? 0)
    return spread <= 1e-9 * coefficientScale * (1 + Swift.abs(point.x) + Swift.abs(point.y))
      ? point : nil
  }

  /// The samples along `origin + t·direction` at the tabulated distances.
  func samples(from origin: Point, along direction: Point) -> [ProbabilitySample] {
    distances.map { t in
      let p = Point(origin.x + t * direction.x, origin.y + t * direction.y)
      return ProbabilitySample(
        distance: t, point: p, activations: activations(at: p), probabilities: probabilities(at: p))
    }
  }

  /// For each pair, the piece of `a_i = a_j` where i and j tie and beat every other class:
  /// parametrise the line as `x0 + t·d` and intersect the half-lines `a_i − a_k ≥ 0` (linear in t).
  func decisionBoundaries(commonPoint: Point?) -> ([DecisionBoundary], [String]) {
    let eps = 1e-12 * coefficientScale
    var boundaries: [DecisionBoundary] = []
    var hidden: [String] = []
    for i in 0..<classCount {
      for j in (i + 1)..<classCount {
        let ai = activations[i]
        let aj = activations[j]
        let n = Point(ai.w1 - aj.w1, ai.w2 - aj.w2)
        let c = ai.b - aj.b
        let norm2 = n.x * n.x + n.y * n.y
        let name = "C\(i + 1)/C\(j + 1)"
        guard norm2 > eps * eps else {
          hidden.append(
            Swift.abs(c) <= eps
              ? "\(name): identical activations, tied everywhere"
              : "\(name): a\(i + 1) − a\(j + 1) = \(SoftmaxRegions.format(c)) everywhere, never tied"
          )
          continue
        }
        let norm = norm2.squareRoot()
        let x0 = Point(-c * n.x / norm2, -c * n.y / norm2)
        let d = Point(-n.y / norm, n.x / norm)
        var low = -Double.infinity
        var high = Double.infinity
        var beatenBy: Int?
        for k in 0..<classCount where k != i && k != j {
          let ak = activations[k]
          let alpha = ai(x0) - ak(x0)
          let beta = (ai.w1 - ak.w1) * d.x + (ai.w2 - ak.w2) * d.y
          if Swift.abs(beta) <= eps {
            if alpha < -eps * (1 + Swift.abs(ai(x0))) { beatenBy = k }
          } else if beta > 0 {
            low = Swift.max(low, -alpha / beta)
          } else {
            high = Swift.min(high, -alpha / beta)
          }
        }
        if let k = beatenBy {
          hidden.append("\(name): C\(k + 1) beats both everywhere on a\(i + 1) = a\(j + 1)")
          continue
        }
        guard high - low > 1e-9 * (1 + Swift.abs(low.isFinite ? low : 0)) else {
          hidden.append(
            "\(name): the line a\(i + 1) = a\(j + 1) lies inside other classes' regions")
          continue
        }
        let kind: DecisionBoundary.Kind
        var origin: Point
        var direction = d
        var length: Double?
        switch (low.isFinite, high.isFinite) {
        case (false, false):
          kind = .line
          origin = x0
        case (true, false):
          kind = .ray
          origin = Point(x0.x + low * d.x, x0.y + low * d.y)
        case (false, true):
          kind = .ray
          origin = Point(x0.x + high * d.x, x0.y + high * d.y)
          direction = Point(-d.x, -d.y)
        case (true, true):
          kind = .segment
          origin = Point(x0.x + low * d.x, x0.y + low * d.y)
          length = high - low
        }
        if kind == .ray, let p = commonPoint { origin = p }
        let rates = (0..<classCount).filter { $0 != i && $0 != j }.map { k in
          LosingRate(
            classIndex: k,
            rate: (ai.w1 - activations[k].w1) * direction.x + (ai.w2 - activations[k].w2)
              * direction.y)
        }
        boundaries.append(
          DecisionBoundary(
            first: i, second: j, kind: kind, origin: origin, direction: direction, length: length,
            equation: LinearActivation(w1: n.x, w2: n.y, b: c).formula + " = 0", losingRates: rates,
            samples: kind == .segment ? [] : samples(from: origin, along: direction)))
      }
    }
    return (boundaries, hidden)
  }

  /// The class that wins far out along unit direction `v`: largest `w_k·v`, ties broken by `b_k`.
  func winner(along v: Point) -> Int {
    let scores = activations.map { $0.w1 * v.x + $0.w2 * v.y }
    let top = scores.max() ?? 0
    let tolerance = 1e-12 * coefficientScale
    let candidates = scores.indices.filter { scores[$0] >= top - tolerance }
    return candidates.max { activations[$0].b < activations[$1].b } ?? 0
  }

  /// Far from any finite point, class k wins in the directions v where `w_k·v` is largest: an arc
  /// between directions perpendicular to some `w_i − w_j`. Each class's arc is found by sorting
  /// those candidate angles and merging neighbouring arcs with the same winner; its bisector is
  /// the "middle of the region".
  func regionDirections(from start: Point) -> ([RegionDirection], [Int]) {
    var angles: [Double] = []
    for i in 0..<classCount {
      for j in (i + 1)..<classCount {
        let n = Point(activations[i].w1 - activations[j].w1, activations[i].w2 - activations[j].w2)
        guard n.x * n.x + n.y * n.y > 0 else { continue }
        angles.append(atan2(n.x, -n.y))
        angles.append(atan2(-n.x, n.y))
      }
    }
    angles.sort()
    var unique: [Double] = []
    for a in angles where unique.last.map({ a - $0 > 1e-12 }) ?? true { unique.append(a) }
    if unique.count > 1, let first = unique.first, let last = unique.last,
      first + 2 * Double.pi - last <= 1e-12
    {
      unique.removeLast()
    }
    if unique.isEmpty { unique = [0] }
    // Arcs (start angle, span, winner), then merge cyclic neighbours with the same winner.
    var arcs: [(start: Double, span: Double, winner: Int)] = unique.indices.map { index in
      let a = unique[index]
      let b = index + 1 < unique.count ? unique[index + 1] : unique[0] + 2 * Double.pi
      let mid = (a + b) / 2
      return (a, b - a, winner(along: Point(cos(mid), sin(mid))))
    }
    var merged: [(start: Double, span: Double, winner: Int)] = []
    for arc in arcs {
      if let last = merged.last, last.winner == arc.winner {
        merged[merged.count - 1].span += arc.span
      } else {
        merged.append(arc)
      }
    }
    if merged.count > 1, let first = merged.first, let last = merged.last,
      first.winner == last.winner
    {
      merged[merged.count - 1].span += first.span
      merged.removeFirst()
    }
    arcs = merged
    var regions: [RegionDirection] = []
    for k in 0..<classCount {
      guard let arc = arcs.filter({ $0.winner == k }).max(by: { $0.span < $1.span }) else {
        continue
      }
      let mid = arc.start + arc.span / 2
      let v = Point(cos(mid), sin(mid))
      let rates = (0..<classCount).filter { $0 != k }.map { m in
        LosingRate(
          classIndex: m,
          rate: (activations[k].w1 - activations[m].w1) * v.x
            + (activations[k].w2 - activations[m].w2) * v.y)
      }
      regions.append(
        RegionDirection(
          classIndex: k, direction: v, openingDegrees: arc.span * 180 / Double.pi,
          losingRates: rates,
          samples: samples(from: start, along: v)))
    }
    let without = (0..<classCount).filter { k in !regions.contains { $0.classIndex == k } }
    return (regions, without)
  }
}
