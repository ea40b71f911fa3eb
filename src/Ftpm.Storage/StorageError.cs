namespace Ftpm.Storage;

/// <summary>
/// Storage failures in words a user acts on. .NET reports a failed system call on Unix as an
/// <see cref="IOException"/> whose HResult is the errno (EACCES and EPERM as
/// <see cref="UnauthorizedAccessException"/>); this names the cause: disk full, read-only file system,
/// permission denied, quota, I/O error.
/// </summary>
public static class StorageError
{
    const int EIO = 5, EAGAIN = 11, EACCES = 13, ENOSPC = 28, EROFS = 30, EDQUOT = 122;
    // ERROR_SHARING_VIOLATION and ERROR_LOCK_VIOLATION as HRESULTs (Windows, and .NET's mapping of a held flock).
    const int SharingViolation = unchecked((int)0x80070020), LockViolation = unchecked((int)0x80070021);

    /// <summary>The cause of <paramref name="e"/> in a few words.</summary>
    public static string Describe(Exception e) => e switch
    {
        DirectoryNotFoundException => "a folder on its path does not exist",
        UnauthorizedAccessException => "permission denied (check the owner and mode of the file and its folder)",
        IOException io when !OperatingSystem.IsWindows() => io.HResult switch
        {
            ENOSPC => "disk full (no space left on the device)",
            EDQUOT => "disk quota exceeded",
            EROFS => "the file system is read-only",
            EACCES => "permission denied (check the owner and mode of the file and its folder)",
            EIO => "I/O error on the device",
            _ => io.Message,
        },
        _ => e.Message,
    };

    /// <summary>An <see cref="IOException"/> saying what failed, on which path, and why.</summary>
    public static IOException Wrap(Exception e, string what, string path) =>
        new($"{what} {path}: {Describe(e)}", e) { HResult = e.HResult };

    /// <summary>True when opening a lock file failed because another process holds its lock.</summary>
    internal static bool IsLockConflict(Exception e) =>
        e is IOException { HResult: SharingViolation or LockViolation or EAGAIN } and not FileNotFoundException and not DirectoryNotFoundException;
}
