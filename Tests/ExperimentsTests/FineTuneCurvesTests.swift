import Foundation
import Plotting
import Testing

@testable import Experiments

@Suite("Fine-tuning curves figure")
struct FineTuneCurvesTests {
  /// Six epochs: four of the head, two with the backbone unfrozen; validation on every epoch.
  let history: [HeadEpochMetrics] = (1...6).map { epoch in
    HeadEpochMetrics(
      epoch: epoch, trainLoss: 2.0 / Double(epoch), trainAccuracy: 0.3 + 0.1 * Double(epoch),
      validationLoss: 2.2 / Double(epoch) + (epoch == 6 ? 0.5 : 0),
      validationAccuracy: [0.35, 0.45, 0.5, 0.62, 0.66, 0.6][epoch - 1])
  }

  @Test("two panels: loss above, accuracy in percent below, each with train and validation")
  func panels() {
    let grid = FineTuneMetrics.curvesFigure(history, keptEpoch: 5, unfreezeEpoch: 5)
    #expect(grid.panels.count == 2)
    #expect(grid.columns == 1)
    let loss = grid.panels[0].layout()
    let accuracy = grid.panels[1].layout()
    // Loss spans 2/6 … 2.2 (+ padding); accuracy in % spans 35 … 90, not 0.35 … 0.9.
    #expect(loss.y.domain.lowerBound < 2.0 / 6 && loss.y.domain.upperBound >= 2.2)
    #expect(loss.y.domain.upperBound < 3)
    #expect(accuracy.y.domain.lowerBound <= 35 && accuracy.y.domain.upperBound >= 90)
    #expect(accuracy.y.domain.lowerBound > 20)
    #expect(grid.panels[1].axes.yLabel == "accuracy (%)")
    // The panels sit one above the other.
    let origins = grid.layout().origins
    #expect(origins[0].x == origins[1].x)
    #expect(origins[1].y >= origins[0].y + grid.panels[0].height)
  }

  @Test("the kept epoch and the start of unfreezing are vertical lines in both panels")
  func markers() {
    let grid = FineTuneMetrics.curvesFigure(history, keptEpoch: 5, unfreezeEpoch: 5)
    for panel in grid.panels {
      let rules = panel.axes.marks.compactMap { mark -> ReferenceLine? in
        if case .reference(let line) = mark { return line }
        return nil
      }
      #expect(rules.map(\.orientation) == [.vertical, .vertical])
      // Unfreezing starts with epoch 5: its line sits between epochs 4 and 5; the kept one on 5.
      #expect(rules.map(\.value) == [4.5, 5])
      let layout = panel.layout()
      #expect(layout.x.domain.contains(4.5) && layout.x.domain.contains(5))
    }
    let svg = grid.svg()
    #expect(svg.contains(">kept model (epoch 5, best validation)</text>"))
    #expect(svg.contains(">backbone unfrozen from epoch 5</text>"))
    // Without the epochs there are no lines; an epoch outside the history is left out.
    let plain = FineTuneMetrics.curvesFigure(history)
    #expect(!plain.svg().contains("kept model"))
    let outside = FineTuneMetrics.curvesFigure(history, keptEpoch: 9, unfreezeEpoch: nil)
    #expect(!outside.svg().contains("kept model"))
  }

  @Test("one legend, below both panels, each entry once")
  func legendOffTheData() throws {
    let grid = FineTuneMetrics.curvesFigure(history, keptEpoch: 5, unfreezeEpoch: 5)
    let svg = grid.svg()
    #expect(svg.components(separatedBy: "class=\"legend\"").count == 2)
    #expect(svg.components(separatedBy: ">validation</text>").count == 2)
    let layout = grid.layout()
    let bottomOfPanels = layout.origins[1].y + grid.panels[1].height
    #expect(try #require(layout.legendOrigin).y >= bottomOfPanels)
    if let folder = ProcessInfo.processInfo.environment["PLOT_GALLERY"] {
      try? grid.writePNG(to: URL(fileURLWithPath: folder).appendingPathComponent("curves.png"))
    }
  }
}
