import PackagePlugin

/// Builds the text of every lesson file into the `Lessons` module, so that the `lesson` command
/// shows the code it was compiled from. (Reading `Lessons/*.swift` at run time would show a
/// student's latest edit beside the old code's results, until the next build.)
@main
struct EmbedLessonSources: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SwiftSourceModuleTarget else { return [] }
        let lessons = target.sourceFiles(withSuffix: "swift").map(\.url)
        let output = context.pluginWorkDirectoryURL.appending(path: "LessonSourceTexts.swift")
        return [
            .buildCommand(displayName: "Embedding the text of \(lessons.count) lesson files",
                          executable: try context.tool(named: "LessonSourceEmbedder").url,
                          arguments: [output.path] + lessons.map(\.path),
                          inputFiles: lessons, outputFiles: [output])
        ]
    }
}
