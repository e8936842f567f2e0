import Plotting

/// Probabilities at one point along a ray.
public struct ProbabilitySample: Sendable, Codable, Hashable {
  /// Distance from the ray's start.
  public var distance: Double
  /// The point.
  public var point: Point
  /// `a_k` at the point.
  public var activations: [Double]
  /// `p(C_k|x)` at the point.
  public var probabilities: [Double]
}

/// How fast a losing class falls behind: `a_winner − a_loser` grows by `rate` per unit distance.
public struct LosingRate: Sendable, Codable, Hashable {
  /// The losing class (0-based).
  public var classIndex: Int
  /// Growth of the activation gap per unit distance (positive).
  public var rate: Double
}

/// The piece of the line `a_i = a_j` on which classes i and j tie **and** beat all others.
public struct DecisionBoundary: Sendable, Codable, Hashable {
  /// The shape of the piece.
  public enum Kind: String, Sendable, Codable {
    /// Starts at `origin` and goes on forever along `direction` (the usual case: a red ray).
    case ray
    /// The whole line (e.g. only two classes).
    case line
    /// A bounded piece from `origin`, `length` long along `direction`.
    case segment
  }
  /// The first tied class (0-based, `first < second`).
  public var first: Int
  /// The second tied class (0-based).
  public var second: Int
  /// Ray, line or segment.
  public var kind: Kind
  /// The start (ray, segment) or the point nearest the origin (line).
  public var origin: Point
  /// Unit direction.
  public var direction: Point
  /// Length of a segment; nil when unbounded.
  public var length: Double?
  /// The line's equation, e.g. "2 x1 − 2 x2 − 1 = 0".
  public var equation: String
  /// How fast every other class falls behind the tied pair along `direction`.
  public var losingRates: [LosingRate]
  /// Probabilities at the tabulated distances along `direction` from `origin` (rays and lines).
  public var samples: [ProbabilitySample]
}

/// The direction through the middle of one class's region (far from the centre it wins).
public struct RegionDirection: Sendable, Codable, Hashable {
  /// The class (0-based).
  public var classIndex: Int
  /// Unit direction: the bisector of the region's angular sector.
  public var direction: Point
  /// The sector's opening angle in degrees.
  public var openingDegrees: Double
  /// How fast each other class falls behind along the direction.
  public var losingRates: [LosingRate]
  /// Probabilities at the tabulated distances from the start point.
  public var samples: [ProbabilitySample]
}

/// The point where all K activations are equal.
public struct CommonPoint: Sendable, Codable, Hashable {
  /// The point.
  public var point: Point
  /// The common activation value there.
  public var activation: Double
  /// `p(C_k|x)` there (each 1/K).
  public var probabilities: [Double]
}

/// Everything `SoftmaxRegions.analyze()` finds.
public struct SoftmaxRegionsResult: Sendable, Codable {
  /// The activations analysed.
  public var activations: [LinearActivation]
  /// Where all activations are equal; nil when there is no single such point.
  public var commonPoint: CommonPoint?
  /// Why there is no common point (nil when there is one).
  public var noCommonPointReason: String?
  /// The visible pieces of every pairwise boundary `a_i = a_j`.
  public var boundaries: [DecisionBoundary]
  /// Pairs `(i, j)` whose lines `a_i = a_j` are never part of the decision boundary, with the reason.
  public var hiddenPairs: [String]
  /// Where the region tables start: the common point, else the least-squares point, else the origin.
  public var start: Point
  /// The middle direction of every class that wins somewhere far away.
  public var regions: [RegionDirection]
  /// Classes that never win far from the start (empty regions at infinity).
  public var classesWithoutRegion: [Int]
  /// The tabulated distances.
  public var distances: [Double]
}
