// The `autorec` program: see `autorec --help`, README.md and Docs/AutoRec.md.
import AutoRecCLI
import Foundation

exit(AutoRecCommand.run(Array(CommandLine.arguments.dropFirst())))
