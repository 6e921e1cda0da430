import Foundation

/// `lesson all` runs each lesson after the first in a fresh image of this program: the process
/// replaces itself (`execv`: the same process number, terminal and exit status for whoever
/// started it) with `lesson all --from <next lesson>` and the flags it was given. Each lesson
/// then starts with the memory it would have alone; in one image, what the C libraries keep
/// between lessons (fonts, glyph caches, malloc's arenas) made the series peak 3 MB above VGG's
/// lesson run alone.
enum FreshImage {
    /// Replaces this process with this program run with `arguments` (without the program's
    /// name); returns only if that failed, with the reason.
    static func replaceProcess(arguments: [String]) -> String {
        let program = CommandLine.arguments.first ?? "lesson"
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        execv("/proc/self/exe", argv)
        return String(cString: strerror(errno))
    }

    /// `arguments` with `option`'s value (`--from X` or `--from=X`) set to `value`.
    static func arguments(_ arguments: [String], replacing option: String, with value: String) -> [String] {
        var kept: [String] = [], skipNext = false
        for argument in arguments {
            if skipNext { skipNext = false; continue }
            if argument == option { skipNext = true; continue }
            if argument.hasPrefix(option + "=") { continue }
            kept.append(argument)
        }
        return kept + [option, value]
    }
}
