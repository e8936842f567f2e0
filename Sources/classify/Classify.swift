import ArgumentParser
import Kernels

/// The `classify` command: each assignment part is a subcommand.
@main
struct Classify: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "classify",
    abstract: "Classification and deep learning in native Swift: softmax regions, backpropagation "
      + "and logistic regression, answered with numbers, figures and a report.",
    version: "0.1.0",
    subcommands: [
      ReportCommand.self, SoftmaxCommand.self, BackpropCommand.self, LogisticCommand.self,
      PredictCommand.self, WeightsCommand.self, DataCommand.self, FineTuneCommand.self,
      FeaturesCommand.self, EvaluateCommand.self,
    ]
  )
}
