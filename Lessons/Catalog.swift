import Notebook

/// Every lesson, in the order of the chapter, each with the text it was built from.
public let allLessons: [Lesson] = [
    leNetLesson, alexNetLesson, vggLesson, ninLesson, googLeNetLesson, batchNormLesson, resNetLesson, denseNetLesson,
    compareLesson,
].map { $0.withSourceText(from: lessonSourceTexts) }

public func lesson(named name: String) -> Lesson? {
    allLessons.first { $0.name == name.lowercased() }
}
