import Foundation
import Plotting

extension LogisticResult {
  /// Width of every Part 3 figure in pixels: the report's column, so that no figure is scaled
  /// and all share one font size on the page and in the PDF.
  static let figureWidth = 640.0

  /// The figures of Part 3 by file stem: the separator path in slope–intercept space, NLL per
  /// epoch, the data with the final separator, and (when run) the rate comparison, SGD per
  /// iteration, and GD versus SGD.
  public func figures() -> [(name: String, figure: any SVGDocument)] {
    var list: [(String, any SVGDocument)] = [
      ("logistic_separator_path", separatorPathFigure()),
      ("logistic_nll", nllFigure()),
      ("logistic_data", dataFigure()),
    ]
    if !rateRuns.isEmpty { list.append(("logistic_rates", ratesFigure())) }
    if !stochasticRuns.isEmpty {
      list.append(("logistic_sgd_iterations", stochasticIterationFigure()))
      list.append(("logistic_gd_vs_sgd", gdVersusSGDFigure()))
    }
    return list
  }

  /// Writes every figure as `name.svg` and `name.png` into `folder` (created if needed) and
  /// returns the file names written. Throws `PlotError` (or a file-system error) naming the file.
  @discardableResult
  public func writeFigures(to folder: URL) throws -> [String] {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    var names: [String] = []
    for (name, figure) in figures() {
      try figure.writeSVG(to: folder.appendingPathComponent(name + ".svg"))
      try figure.writePNG(to: folder.appendingPathComponent(name + ".png"))
      names += [name + ".svg", name + ".png"]
    }
    return names
  }

  /// The separator's points (m, b) = (−w1/w2, −w3/w2) after every epoch where they are finite.
  var separatorPath: [Point] {
    main.weights.map { Point($0.slope, $0.intercept) }.filter { $0.x.isFinite && $0.y.isFinite }
  }

  /// Figure 2 of the provided code: (m, b) = (−w1/w2, −w3/w2) after every epoch. The axes
  /// follow the path unless the experiment fixes them.
  func separatorPathFigure() -> Figure {
    var axes = Axes(xLabel: "slope m = −w₁/w₂", yLabel: "intercept b = −w₃/w₂")
    axes.xLimits = experiment.slopeLimits
    axes.yLimits = experiment.interceptLimits
    axes.legend = .hidden
    axes.add(.path(PathSeries(points: separatorPath, color: .palette(0), width: 1, markerSize: 3)))
    return Figure(
      width: Self.figureWidth, height: 440,
      title: "Separator in slope–intercept space (η = \(LogisticProse.rate(main.learningRate)))",
      axes: axes)
  }

  /// Figure 3 of the provided code: NLL per epoch.
  func nllFigure() -> Figure {
    var axes = Axes(xLabel: "epoch", yLabel: "negative log-likelihood")
    axes.legend = .hidden
    axes.addLine(y: main.negativeLogLikelihood, color: .palette(0))
    return Figure(
      width: Self.figureWidth, height: 400,
      title: "Negative log-likelihood (η = \(LogisticProse.rate(main.learningRate)))", axes: axes)
  }

  /// The data with the final separator `w1·x1 + w2·x2 + w3 = 0`.
  func dataFigure() -> Figure {
    let data = experiment.data
    var axes = Axes(xLabel: "x₁", yLabel: "x₂")
    axes.legend = .outsideBottom
    let classes = [0.0, 1.0].map { label in
      data.targets.indices.filter { data.targets[$0] == label }
    }
    for (index, rows) in classes.enumerated() {
      axes.addScatter(
        x: rows.map { data.x1[$0] }, y: rows.map { data.x2[$0] }, label: "t = \(index)",
        marker: index == 0 ? .circle : .triangle, size: 6, color: .palette(index))
    }
    let lowX = data.x1.min() ?? 0
    let highX = data.x1.max() ?? 1
    let lowY = data.x2.min() ?? 0
    let highY = data.x2.max() ?? 1
    let padX = 0.05 * (highX - lowX)
    let padY = 0.05 * (highY - lowY)
    axes.xLimits = (lowX - padX)...(highX + padX)
    axes.yLimits = (lowY - padY)...(highY + padY)
    let w = main.finalWeights
    if w.w2 != 0, w.slope.isFinite, w.intercept.isFinite {
      let xs = [lowX - padX, highX + padX]
      axes.addLine(
        x: xs, y: xs.map { w.slope * $0 + w.intercept }, label: "final separator", color: .red)
    } else if w.w1 != 0 {
      let x = -w.w3 / w.w1
      axes.addLine(
        x: [x, x], y: [lowY - padY, highY + padY], label: "final separator", color: .red)
    }
    return Figure(
      width: Self.figureWidth, height: 480,
      title: "Data and the final separator (\(main.epochs) epochs)", axes: axes)
  }

  /// NLL per epoch for every compared rate.
  func ratesFigure() -> Figure {
    var axes = Axes(xLabel: "epoch", yLabel: "negative log-likelihood")
    axes.legend = .outsideBottom
    for (index, run) in rateRuns.enumerated() {
      axes.addLine(
        y: run.negativeLogLikelihood, label: "η = \(LogisticProse.rate(run.learningRate))",
        color: .palette(index))
    }
    return Figure(
      width: Self.figureWidth, height: 440,
      title: "Gradient descent: NLL per epoch for each learning rate", axes: axes)
  }

  /// One SGD run's full-data NLL recordings grouped by epoch: x = epochs of updates done
  /// (0 for the start), the mean of the epoch's recordings, and their lowest and highest.
  static func epochSpread(_ run: LogisticTrajectory) -> (
    x: [Double], mean: [Double], low: [Double], high: [Double]
  ) {
    let values = run.iterationNegativeLogLikelihood
    guard let first = values.first, run.recordEvery > 0, run.rowCount > 0 else {
      return ([], [], [], [])
    }
    var groups: [[Double]] = []
    for index in values.indices.dropFirst() {
      let epoch = (index * run.recordEvery - 1) / run.rowCount
      while groups.count <= epoch { groups.append([]) }
      groups[epoch].append(values[index])
    }
    var result = (x: [0.0], mean: [first], low: [first], high: [first])
    for (epoch, group) in groups.enumerated() where !group.isEmpty {
      result.x.append(Double(epoch + 1))
      result.mean.append(group.reduce(0, +) / Double(group.count))
      result.low.append(group.min() ?? .nan)
      result.high.append(group.max() ?? .nan)
    }
    return result
  }

  /// Shared log-scale NLL limits for small multiples, covering every value in `series`.
  static func sharedLimits(_ series: [[Double]]) -> ClosedRange<Double>? {
    let values = series.joined().filter { $0.isFinite && $0 > 0 }
    guard let low = values.min(), let high = values.max(), low < high else { return nil }
    return (low / 1.15)...(high * 1.15)
  }

  /// SGD: one panel per rate, the full-data NLL during each epoch — its mean as a line and its
  /// range over the epoch's per-sample updates as a faint band — on a shared log axis.
  func stochasticIterationFigure() -> FigureGrid {
    let spreads = stochasticRuns.map(Self.epochSpread)
    let limits = Self.sharedLimits(spreads.map(\.low) + spreads.map(\.high))
    let columns = stochasticRuns.count > 1 ? 2 : 1
    let lastEpoch = Double(stochasticRuns.map(\.epochs).max() ?? 1)
    let panels = zip(stochasticRuns, spreads).map { run, spread -> Figure in
      var axes = Axes(xLabel: "epoch", yLabel: "NLL (all data)")
      axes.yScale = .log10
      axes.yLimits = limits
      axes.xLimits = 0...lastEpoch
      axes.addBand(
        x: spread.x, lower: spread.low, upper: spread.high, color: .palette(0), opacity: 0.25,
        label: "range over the epoch's \(run.rowCount) updates")
      axes.addLine(
        x: spread.x, y: spread.mean, label: "mean over the epoch", color: .palette(0), width: 1.5)
      return Figure(
        width: Self.figureWidth / Double(columns), height: 230,
        title: "η = \(LogisticProse.rate(run.learningRate))", axes: axes)
    }
    return FigureGrid(
      title: "SGD: full-data NLL within each epoch",
      panels: panels, columns: columns, legend: .bottom)
  }

  /// GD against SGD per epoch: one panel per rate with both methods and the comparison's
  /// target NLL, on shared log axes.
  func gdVersusSGDFigure() -> FigureGrid {
    let target = comparison.target
    let pairs = rateRuns.map { gd in
      (gd, stochasticRuns.first { $0.learningRate == gd.learningRate })
    }
    let limits = Self.sharedLimits(
      pairs.flatMap { [$0.0.negativeLogLikelihood, $0.1?.negativeLogLikelihood ?? []] } + [[target]]
    )
    let columns = pairs.count > 1 ? 2 : 1
    let lastEpoch = Double(
      max(1, pairs.map { max($0.0.epochs, $0.1?.epochs ?? 0) }.max() ?? 1))
    let panels = pairs.map { gd, sgd -> Figure in
      var axes = Axes(xLabel: "epoch", yLabel: "NLL")
      axes.xScale = .log10
      axes.yScale = .log10
      axes.yLimits = limits
      axes.xLimits = 1...lastEpoch
      // SGD first, so that the smoother GD curve stays visible on top of its spikes.
      if let sgd {
        let values = sgd.negativeLogLikelihood
        axes.addLine(
          x: values.indices.map { Double($0 + 1) }, y: values, label: "SGD", color: .palette(1),
          width: 1.2)
      }
      let nll = gd.negativeLogLikelihood
      axes.addLine(
        x: nll.indices.map { Double($0 + 1) }, y: nll, label: "GD", color: .palette(0), width: 1.8)
      axes.addHorizontalLine(
        at: target, color: .darkGray, width: 1, dash: .dashed,
        label: "target NLL ≤ \(LogisticProse.number(target, 4))")
      return Figure(
        width: Self.figureWidth / Double(columns), height: 230,
        title: "η = \(LogisticProse.rate(gd.learningRate))", axes: axes)
    }
    return FigureGrid(
      title: "Gradient descent vs SGD: NLL at the start of each epoch", panels: panels,
      columns: columns, legend: .bottom)
  }
}
