import Testing

/// Whether `actual` is within `absolute + relative·|expected|` of `expected` (NaN equals only NaN).
public func isClose(
  _ actual: Double, _ expected: Double, absolute: Double = 1e-6, relative: Double = 1e-5
)
  -> Bool
{
  if actual.isNaN || expected.isNaN { return actual.isNaN && expected.isNaN }
  if actual.isInfinite || expected.isInfinite { return actual == expected }
  return Swift.abs(actual - expected) <= absolute + relative * Swift.abs(expected)
}

/// Expects two sequences to agree element-wise within tolerance, reporting the first few
/// mismatches with their indices at the caller's source location.
public func expectClose<A: Collection, B: Collection>(
  _ actual: A, _ expected: B, absolute: Double = 1e-6, relative: Double = 1e-5,
  _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
  #expect(
    actual.count == expected.count, "count \(actual.count) ≠ expected \(expected.count)",
    sourceLocation: sourceLocation)
  var mismatches: [String] = []
  for (index, (a, e)) in zip(actual, expected).enumerated()
  where !isClose(Double(a), Double(e), absolute: absolute, relative: relative) {
    mismatches.append("[\(index)] \(a) vs \(e)")
    if mismatches.count == 5 { break }
  }
  #expect(
    mismatches.isEmpty, "\(comment.map { "\($0): " } ?? "")\(mismatches.joined(separator: ", "))",
    sourceLocation: sourceLocation)
}

/// Expects two scalars to agree within tolerance.
public func expectClose(
  _ actual: Double, _ expected: Double, absolute: Double = 1e-6, relative: Double = 1e-5,
  _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(
    isClose(actual, expected, absolute: absolute, relative: relative),
    "\(comment.map { "\($0): " } ?? "")\(actual) vs expected \(expected)",
    sourceLocation: sourceLocation)
}
