import Foundation
import Testing
import TestSupport

/// LeNet on the miniature data set, long enough to be stopped in the middle.
let training = "$LESSON lenet --data \"$DATA\" --epochs 30 --batch-size 32"

/// The `lesson` command run as a process: what signals, broken consoles, second runs and bad
/// values do to it. Serialized: each test times a run of its own on two cores.
@Suite(.serialized) struct LessonCommandTests {
    /// The weights of a LeNet run of 30 epochs that nothing stopped, run once for all the tests.
    static let reference = Reference()

    actor Reference {
        private var weights: Data??

        func value() async -> Data? {
            if let weights { return weights }
            let out = TemporaryFolder()
            let run = try? await LessonProcess.run("\(training) --output \(out.path)", in: out)
            let found = run?.status == 0 ? out.files(in: "lenet")["lenet.safetensors"] : nil
            weights = .some(found)
            return found
        }
    }

    /// SIGTERM, SIGHUP and SIGINT stop the run after the batch, save everything, and exit with
    /// 128 + the signal; the stopped run then continues to weights identical to the reference.
    @Test(arguments: [(SIGTERM, "SIGTERM"), (SIGHUP, "SIGHUP"), (SIGINT, "Ctrl-C")])
    func aSignalStopsSavesAndCanBeContinued(_ signal: Int32, _ name: String) async throws {
        let out = TemporaryFolder()
        let run = try LessonProcess("exec \(training) --output \(out.path) > \(out.path)/log 2>&1", log: out.path + "/log")
        let pid = run.pid
        #expect(await run.waitFor("epoch 2/30") { kill(pid, signal) })
        #expect(await run.finish() == 128 + signal, "\(run.output.suffix(400))")
        #expect(run.output.contains("Stopped by \(name)"))
        let files = out.files(in: "lenet")
        for saved in ["lenet.safetensors", "resume.safetensors", "metrics.json", "lenet.ipynb", "lenet.html", "training.png"] {
            #expect(files[saved] != nil, "\(saved) after \(name)")
        }
        #expect(!files.keys.contains { $0.contains(".tmp-") })
        #expect(out.metrics("lenet")?["interrupted"] as? Bool == true)

        let continued = try await LessonProcess.run("$LESSON lenet --resume --data \"$DATA\" --output \(out.path)", in: out)
        #expect(continued.status == 0, "\(continued.output.suffix(400))")
        #expect(continued.output.contains("Continuing the stopped run"))
        #expect(out.files(in: "lenet")["lenet.safetensors"] == (await Self.reference.value()), "continued after \(name)")
        #expect(out.metrics("lenet")?["interrupted"] as? Bool == false)
    }

    /// kill -9 gives no warning: the state saved after the last finished epoch continues it.
    @Test func aKilledRunContinuesFromItsLastEpoch() async throws {
        let out = TemporaryFolder()
        let run = try LessonProcess("exec \(training) --output \(out.path) > \(out.path)/log 2>&1", log: out.path + "/log")
        let pid = run.pid
        #expect(await run.waitFor("epoch 3/30") { kill(pid, SIGKILL) })
        #expect(await run.finish() == 128 + SIGKILL)
        let continued = try await LessonProcess.run("$LESSON lenet --resume --data \"$DATA\" --output \(out.path)", in: out)
        #expect(continued.status == 0, "\(continued.output.suffix(400))")
        #expect(out.files(in: "lenet")["lenet.safetensors"] == (await Self.reference.value()))
        #expect(!out.files(in: "lenet").keys.contains { $0.contains(".tmp-") })
    }

    @Test func aSecondCtrlCQuitsAtOnce() async throws {
        let out = TemporaryFolder()
        let run = try LessonProcess("exec \(training) --output \(out.path) > \(out.path)/log 2>&1", log: out.path + "/log")
        let pid = run.pid
        #expect(await run.waitFor("epoch 2/30") { kill(pid, SIGINT); kill(pid, SIGINT) })
        #expect(await run.finish(seconds: 10) == 130)
        #expect(!out.files(in: "lenet").keys.contains { $0.contains(".tmp-") })
    }

    /// A closed, full or abandoned standard output or error never stops the run or its files.
    @Test(arguments: [">&-", ">&- 2>&-", "> /dev/full", "2> /dev/full > /dev/full", "| head -1"])
    func aBrokenConsoleIsNotFatal(_ redirection: String) async throws {
        let out = TemporaryFolder()
        let script = "$LESSON lenet --data \"$DATA\" --epochs 2 --output \(out.path) \(redirection); exit ${PIPESTATUS[0]}"
        let run = try LessonProcess(script, log: out.path + "/unused")
        #expect(await run.finish() == 0, "\(redirection)")
        #expect((out.metrics("lenet")?["history"] as? [Any])?.count == 2, "\(redirection)")
        #expect(out.files(in: "lenet")["lenet.ipynb"] != nil)
    }

    /// In a pseudo-terminal: TERM=dumb, or a window narrower than the progress line, gets plain
    /// lines; a capable terminal gets colours (the control: the check can see them).
    @Test func plainTerminalsGetNoEscapeSequences() async throws {
        func printed(_ setup: String) async throws -> String {
            let out = TemporaryFolder()
            let command = "\(setup) $LESSON lenet --no-train --data \\\"$DATA\\\" --output \(out.path)"
            return try await LessonProcess.run("script -qec \"\(command)\" /dev/null", in: out).output
        }
        let dumb = try await printed("stty cols 120; TERM=dumb")
        let narrow = try await printed("stty cols 40; TERM=xterm-256color")
        let capable = try await printed("stty cols 120; TERM=xterm-256color")
        #expect(dumb.contains("output shape: [1, 6, 28, 28]") && narrow.contains("output shape: [1, 6, 28, 28]"))
        #expect(!dumb.contains("\u{1B}"))
        #expect(!narrow.contains("\u{1B}"))
        #expect(capable.contains("\u{1B}["))
    }

    @Test func aSecondRunOnTheSameLessonIsRefusedByName() async throws {
        let out = TemporaryFolder()
        let first = try LessonProcess("exec \(training) --output \(out.path) > \(out.path)/log 2>&1", log: out.path + "/log")
        // The second run starts while the first still trains: both on this one thread.
        let (seen, second) = try await offTheTestPool {
            let seen = first.waitForBlocking("epoch 1/30")
            let second = try LessonProcess.runBlocking("$LESSON lenet --data \"$DATA\" --epochs 1 --output \(out.path)", in: TemporaryFolder())
            kill(first.pid, SIGTERM)
            return (seen, second)
        }
        #expect(seen)
        await first.finish()
        #expect(second.status == 1)
        #expect(second.output.contains("\(out.path)/lenet is being written by another run (process \(first.pid))"), "\(second.output)")
    }

    /// Ctrl-C during `lesson all`, in a lesson or between two, stops the lesson under way, starts
    /// no other, and says so in the exit status.
    @Test(arguments: ["Lesson lenet", "Wrote "])
    func ctrlCEndsLessonAll(_ when: String) async throws {
        let out = TemporaryFolder()
        let run = try LessonProcess("exec $LESSON all --no-train --data \"$DATA\" --output \(out.path) > \(out.path)/log 2>&1",
                                    log: out.path + "/log")
        let pid = run.pid
        #expect(await run.waitFor(when) { kill(pid, SIGINT) })
        #expect(await run.finish() == 130)
        let started = run.output.components(separatedBy: "\nLesson ").count - 1
        let folders = (try FileManager.default.contentsOfDirectory(atPath: out.path)).filter { $0 != "log" }
        #expect(started >= 1 && started < 9)
        #expect(folders.count == started, "lessons started: \(started), folders: \(folders)")
    }

    /// `lesson all --from X` starts the series at X, and each later lesson runs in a fresh image
    /// of the program: the same process, whose command line now says where the series goes on.
    /// The fresh image still stops on Ctrl-C.
    @Test func lessonAllGoesOnInAFreshImageOfTheProgram() async throws {
        let out = TemporaryFolder()
        let run = try LessonProcess("exec $LESSON all --no-train --from densenet --data \"$DATA\" --output \(out.path) > \(out.path)/log 2>&1",
                                    log: out.path + "/log")
        #expect(await run.waitFor("Lesson compare"))
        let commandLine = (try? String(contentsOfFile: "/proc/\(run.pid)/cmdline", encoding: .utf8)) ?? ""
        kill(run.pid, SIGINT)
        #expect(await run.finish() == 130, "\(run.output.suffix(400))")
        #expect(commandLine.split(separator: "\0").suffix(2) == ["--from", "compare"], "\(commandLine)")
        #expect(run.output.components(separatedBy: "\nLesson ").dropFirst().map { $0.prefix { $0 != ":" } } == ["densenet", "compare"])
        let folders = (try FileManager.default.contentsOfDirectory(atPath: out.path)).filter { $0 != "log" }
        #expect(Set(folders) == ["densenet", "compare"])
    }

    @Test func badValuesAreRefusedWithWhatIsAllowed() async throws {
        let cases = [
            ("--epochs -1", "the number of epochs must be a whole number from 1 to 10,000"),
            ("--lr 1e39", "the learning rate must be a number from 1e-45 to 3.4028235e+38"),
            ("--lr 1e-50", "the learning rate must be a number from"),
            ("--batch-size 99999999999999999999", "the batch size must be a whole number from 1 to 60,000"),
            ("--resume --no-train", "--resume continues a stopped training run; it cannot be combined with --no-train"),
        ]
        for (flags, message) in cases {
            let result = try await LessonProcess.run("$LESSON lenet \(flags)", in: TemporaryFolder())
            #expect(result.status == 64, "\(flags)")
            #expect(result.output.contains(message), "\(flags): \(result.output)")
            #expect(!result.output.contains("Missing value"))
        }
        let unknown = try await LessonProcess.run("$LESSON lenett", in: TemporaryFolder())
        #expect(unknown.status == 64 && unknown.output.contains("unknown lesson 'lenett'"))
    }
}
