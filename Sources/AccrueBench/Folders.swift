import Foundation

/// Removes a folder and everything in it, as the benchmark and the tests do with the databases
/// they made. A store let go just before may still be closing on another thread (its log copier
/// finishing a copy), deleting its `-wal` and `-shm` files while the folder is emptied;
/// `FileManager` stops at the first file gone from under it and leaves the rest (benchmark folders
/// of 1.4 GB, test folders of 7 MB stayed behind), so this tries again until the folder is gone
/// (a few times at most).
public func removeFolder(_ folder: URL) {
    for _ in 0..<50 {
        try? FileManager.default.removeItem(at: folder)
        if !FileManager.default.fileExists(atPath: folder.path) { return }
        Thread.sleep(forTimeInterval: 0.02)
    }
}
