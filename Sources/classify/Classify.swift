import ArgumentParser
import Foundation
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
      FeaturesCommand.self, EvaluateCommand.self, LearningRateFindCommand.self,
    ]
  )

  /// Parses and runs the subcommand; an error that escaped without a message of ours (a raw
  /// Foundation or Swift error) is shown as what it means and how to go on, never as its
  /// internal description.
  static func main() {
    var command: any ParsableCommand
    do { command = try parseAsRoot() } catch { exit(withError: error) }
    do {
      try command.run()
    } catch let invalid as ValidationError {
      // A bad value found while running: the message names the option; the root's usage
      // screen would only bury it.
      FileHandle.standardError.write(Data("Error: \(invalid.message)\n".utf8))
      Foundation.exit(ExitCode.validationFailure.rawValue)
    } catch {
      exit(withError: UserFacingError.presentable(error))
    }
  }
}

/// The last line of defence for error messages: every error type of ours describes itself with
/// the file or option and the fix; anything else is translated here.
struct UserFacingError: Error, CustomStringConvertible {
  let description: String

  /// `error` itself when it is ours or ArgumentParser's, else a worded replacement.
  static func presentable(_ error: any Error) -> any Error {
    switch error {
    case is EncodingError:
      return UserFacingError(
        description:
          "a result could not be written as JSON (it holds a value JSON cannot represent, such as "
          + "NaN); this is a bug in classify: please report the command that caused it")
    case is DecodingError:
      return UserFacingError(
        description: "a JSON file could not be read (it is damaged or from another program)")
    case let cocoa as CocoaError:
      let path = (cocoa.userInfo[NSFilePathErrorKey] as? String).map { " (\($0))" } ?? ""
      return UserFacingError(description: "a file operation failed\(path): \(reason(cocoa.code))")
    case let posix as POSIXError:
      return UserFacingError(
        description: "a system call failed: \(String(cString: strerror(posix.code.rawValue)))")
    default:
      // Swift errors bridge to NSError on Linux too; only Foundation's own domains are raw.
      let bridged = error as NSError
      if bridged.domain == NSCocoaErrorDomain || bridged.domain == NSPOSIXErrorDomain {
        return UserFacingError(
          description:
            "a file operation failed (\(bridged.domain) \(bridged.code)); check the paths you gave, permissions and free disk space"
        )
      }
      return error
    }
  }

  static func reason(_ code: CocoaError.Code) -> String {
    switch code {
    case .fileNoSuchFile, .fileReadNoSuchFile: "it does not exist; check the path"
    case .fileReadNoPermission, .fileWriteNoPermission:
      "permission denied; check the file's permissions"
    case .fileWriteOutOfSpace: "the disk is full; free some space and run again"
    case .fileWriteFileExists: "a file of that name is in the way; choose another name"
    case .fileReadCorruptFile: "the file is damaged"
    default: "check the paths you gave, permissions and free disk space"
    }
  }
}

/// A command that could not do its job for a reason outside the user's options (the network,
/// an unreadable file): "Error: <message>" with exit status 1, saying what to do.
struct CommandFailure: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
  init(description: String) { self.description = description }
}
