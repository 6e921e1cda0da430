import Files
import Foundation
import NN

/// A stopped run, as `<lesson>/resume.safetensors` keeps it: the weights (named as in the
/// checkpoint) and, in the file's metadata, what else is needed to continue it exactly: the
/// lesson, its settings, the trainer's state (epoch, batch, running sums, random generator)
/// and the training curves drawn so far. Written atomically after every epoch, when the run is
/// stopped, and every few minutes in between; `--resume` reads it.
public struct ResumeRecord: Codable, Equatable {
    public static let fileName = "resume.safetensors"
    static let metadataKey = "convbook.resume"

    public var lesson: String
    public var settings: LessonSettings
    public var state: TrainingState
    var curves: TrainingCurves.Points

    init(lesson: String, settings: LessonSettings, state: TrainingState, curves: TrainingCurves.Points) {
        (self.lesson, self.settings, self.state, self.curves) = (lesson, settings, state, curves)
    }

    /// The safetensors bytes: `net`'s state and this record.
    func encode(_ net: any Layer) throws -> Data {
        let json = String(decoding: try JSONEncoder().encode(self), as: UTF8.self)
        return try Checkpoint.encode(net, metadata: ["lesson": lesson, "format": "pt", Self.metadataKey: json])
    }

    /// The record in a file's metadata.
    init(metadata: [String: String], file: String) throws {
        guard let json = metadata[Self.metadataKey] else {
            throw FileError(path: file, problem: "holds weights but no training state to continue from (not written by a stopped run)")
        }
        do {
            self = try JSONDecoder().decode(Self.self, from: Data(json.utf8))
        } catch {
            throw FileError(path: file, problem: "its training state cannot be read (\(error)); start the run again without --resume")
        }
    }

    /// There is no stopped run to continue in `folder`.
    public struct Missing: Error, CustomStringConvertible {
        public var folder: String
        public var description: String {
            "\(folder) holds no stopped run to continue: a run saves \(fileName) there after every epoch and when it is stopped."
        }
    }

    /// The record of the run stopped in `folder` (only its header is read).
    public static func read(folder: String) throws -> ResumeRecord {
        let path = (folder as NSString).appendingPathComponent(fileName)
        let data: Data
        do {
            data = try ReadableFile.mapped(path)
        } catch let error as FileError where error.problem == "does not exist" {
            throw Missing(folder: folder)
        }
        return try ResumeRecord(metadata: try SafeTensors.read(data, file: path).metadata, file: path)
    }
}
