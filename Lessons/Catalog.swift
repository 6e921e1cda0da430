import Notebook

/// Every lesson, in the order of the chapter.
public let allLessons: [Lesson] = [leNetLesson]

public func lesson(named name: String) -> Lesson? {
    allLessons.first { $0.name == name.lowercased() }
}
