import AccrueCore
import ArgumentParser
import Foundation

/// Reads a JSON-lines file a chunk at a time, so that a log of any size is ingested in bounded
/// memory. A line longer than an input may be is cut just past the limit: the decoder refuses it
/// by its size, and the rest of the line is skipped.
struct LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var finished = false
    static let chunkSize = 1 << 20

    init(path: String) throws {
        if path == "-" {
            handle = FileHandle.standardInput
        } else {
            guard let opened = FileHandle(forReadingAtPath: path) else {
                warn("accrue: cannot read \(path)")
                throw ExitCode(2)
            }
            handle = opened
        }
    }

    /// The next line without its newline, or nil at the end of the file.
    mutating func next() -> [UInt8]? {
        var line: [UInt8] = []
        var overlong = false
        while true {
            if position == buffer.count {
                if finished { return line.isEmpty && !overlong ? nil : line }
                let data = handle.readData(ofLength: LineReader.chunkSize)
                if data.isEmpty {
                    finished = true
                    continue
                }
                buffer = Array(data)
                position = 0
            }
            let start = position
            while position < buffer.count, buffer[position] != 0x0A { position += 1 }
            if !overlong {
                line.append(contentsOf: buffer[start..<min(position, start + Limits.maximumInputBytes + 1 - line.count)])
                overlong = line.count > Limits.maximumInputBytes
            }
            if position < buffer.count {
                position += 1 // the newline
                return line
            }
        }
    }
}
