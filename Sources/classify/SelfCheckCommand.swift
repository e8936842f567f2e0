import ArgumentParser

struct SelfCheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "self-check", abstract: "Checks the numeric engine.")
  func run() throws { print("ok") }
}
