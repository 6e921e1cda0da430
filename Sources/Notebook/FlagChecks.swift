import Foundation
import Localization
import Tensors

/// The `lesson` command's flag values, each parsed and checked before any work is done, here so
/// that they can be tested. A bad value gets a message saying what is allowed ("the number of
/// epochs must be a whole number from 1 to 10,000"), which the argument parser prints after
/// the flag and the value.
public enum FlagChecks {
    /// A flag that takes a whole number in a range.
    public struct IntegerFlag: Sendable {
        public let name: String
        public let meaning: String
        public let range: ClosedRange<Int>

        init(_ name: String, _ meaning: String, _ range: ClosedRange<Int>) {
            (self.name, self.meaning, self.range) = (name, meaning, range)
        }

        public func parse(_ text: String) throws -> Int {
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
                throw FlagError("\(meaning) must be a whole number from \(range.lowerBound.grouped) to \(range.upperBound.grouped)")
            }
            return value
        }
    }

    public static let epochs = IntegerFlag("epochs", "the number of epochs", 1...10_000)
    /// At most the training set: a larger batch is the whole set.
    public static let batchSize = IntegerFlag("batch-size", "the batch size", 1...60_000)
    /// Fashion-MNIST's 60,000 training and 10,000 test images.
    public static let trainSize = IntegerFlag("train-size", "the number of training images", 1...60_000)
    public static let testSize = IntegerFlag("test-size", "the number of test images", 1...10_000)
    public static let resize = IntegerFlag("resize", "the image side in pixels", 1...1024)
    public static let threads = IntegerFlag("threads", "the number of threads", 1...256)

    /// A learning rate: a number above zero that stays finite and non-zero as a `Float`, the
    /// type training computes in.
    public static func learningRate(_ text: String) throws -> Double {
        let allowed = "the learning rate must be a number from \(Float.leastNonzeroMagnitude) to \(Float.greatestFiniteMagnitude)"
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value > 0, value.isFinite,
              Float(value).isFinite, Float(value) > 0 else {
            throw FlagError(allowed)
        }
        return value
    }

    public static func seed(_ text: String) throws -> UInt64 {
        guard let value = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
            throw FlagError("the seed must be a whole number from 0 to \(UInt64.max)")
        }
        return value
    }

    public static func language(_ text: String) throws -> Language {
        guard let value = Language(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw FlagError("the language must be one of: " + Language.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return value
    }

    public static func scale(_ text: String) throws -> Double {
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value >= 0.5, value <= 4 else {
            throw FlagError("the pixels per point must be a number from 0.5 to 4")
        }
        return value
    }
}

/// A flag value that cannot be used, and why.
public struct FlagError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
