import Notebook

/// Every lesson, in the order of the chapter.
public let allLessons: [Lesson] = [
    leNetLesson, alexNetLesson, vggLesson, ninLesson, googLeNetLesson, batchNormLesson, resNetLesson, denseNetLesson,
    compareLesson,
]

public func lesson(named name: String) -> Lesson? {
    allLessons.first { $0.name == name.lowercased() }
}
