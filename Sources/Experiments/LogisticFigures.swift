import Foundation
import Plotting

extension LogisticResult {
  /// The figures of Part 3 by file stem: the separator path in slope–intercept space, NLL per
  /// epoch, the data with the final separator, and (when run) the rate comparison, SGD per
  /// iteration, and GD versus SGD.
  public func figures() -> [(name: String, figure: Figure)] {
    var list: [(String, Figure)] = [
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

  /// Figure 2 of the provided code: (m, b) = (−w1/w2, −w3/w2) after every epoch.
  func separatorPathFigure() -> Figure {
    var axes = Axes(xLabel: "slope m = −w₁/w₂", yLabel: "intercept b = −w₃/w₂")
    axes.xLimits = experiment.slopeLimits
    axes.yLimits = experiment.interceptLimits
    axes.legend = .hidden
    let points = main.weights.map { Point($0.slope, $0.intercept) }.filter {
      $0.x.isFinite && $0.y.isFinite
    }
    axes.add(.path(PathSeries(points: points, color: .palette(0), width: 1, markerSize: 3)))
    return Figure(
      title: "Separator in slope–intercept space (η = \(logisticFormat(main.learningRate, 2)))",
      axes: axes)
  }

  /// Figure 3 of the provided code: NLL per epoch.
  func nllFigure() -> Figure {
    var axes = Axes(xLabel: "epoch", yLabel: "negative log-likelihood")
    axes.legend = .hidden
    axes.addLine(y: main.negativeLogLikelihood, color: .palette(0))
    return Figure(
      title: "Negative log-likelihood (η = \(logisticFormat(main.learningRate, 2)))", axes: axes)
  }

  /// The data with the final separator `w1·x1 + w2·x2 + w3 = 0`.
  func dataFigure() -> Figure {
    let data = experiment.data
    var axes = Axes(xLabel: "x₁", yLabel: "x₂")
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
    return Figure(title: "Data and the final separator (\(main.epochs) epochs)", axes: axes)
  }

  /// NLL per epoch for every compared rate.
  func ratesFigure() -> Figure {
    var axes = Axes(xLabel: "epoch", yLabel: "negative log-likelihood")
    for (index, run) in rateRuns.enumerated() {
      axes.addLine(
        y: run.negativeLogLikelihood, label: "η = \(logisticFormat(run.learningRate, 2))",
        color: .palette(index))
    }
    return Figure(title: "Gradient descent: NLL per epoch for each learning rate", axes: axes)
  }

  /// SGD: full-data NLL against the number of per-sample updates.
  func stochasticIterationFigure() -> Figure {
    var axes = Axes(
      xLabel: "iteration (per-sample updates)", yLabel: "negative log-likelihood (all data)")
    axes.yScale = .log10
    axes.legend = .outsideRight
    for (index, run) in stochasticRuns.enumerated() {
      let values = run.iterationNegativeLogLikelihood
      let every = Double(max(1, run.recordEvery))
      axes.addLine(
        x: values.indices.map { Double($0) * every }, y: values,
        label: "η = \(logisticFormat(run.learningRate, 2))",
        color: .palette(index), width: 1.2)
    }
    return Figure(
      width: 860, height: 480, title: "Stochastic gradient descent: NLL per iteration", axes: axes)
  }

  /// GD (solid) against SGD (dashed) per epoch, one colour per rate.
  func gdVersusSGDFigure() -> Figure {
    var axes = Axes(
      xLabel: "epoch (200 gradient evaluations each)", yLabel: "negative log-likelihood")
    axes.xScale = .log10
    // SGD at large η spikes to several times the GD values; a log NLL axis keeps both readable.
    axes.yScale = .log10
    axes.legend = .outsideRight
    for (index, run) in rateRuns.enumerated() {
      let nll = run.negativeLogLikelihood
      axes.addLine(
        x: nll.indices.map { Double($0 + 1) }, y: nll,
        label: "GD η = \(logisticFormat(run.learningRate, 2))",
        color: .palette(index))
    }
    for (index, run) in stochasticRuns.enumerated() {
      let nll = run.negativeLogLikelihood
      axes.addLine(
        x: nll.indices.map { Double($0 + 1) }, y: nll,
        label: "SGD η = \(logisticFormat(run.learningRate, 2))",
        color: .palette(index), width: 1.5, dash: .dashed)
    }
    return Figure(
      width: 760, height: 480, title: "Gradient descent (solid) vs SGD (dashed)", axes: axes)
  }
}
