using System.Runtime.InteropServices;
using System.Text;

namespace Ftpm.Storage;

// Flushing a folder makes a rename inside it durable (POSIX: the new directory entry reaches the disk).
// .NET refuses to open a directory as a file (File.OpenHandle throws UnauthorizedAccessException on Unix),
// so this calls open/fsync/close from libc. Windows has no directory flush; NTFS journals the rename.
public sealed partial class FileNvStore
{
    const int ORdOnly = 0;

    static void FlushDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux()) return;
        byte[] path = Encoding.UTF8.GetBytes(directory + "\0");
        int fd = open(path, ORdOnly);
        if (fd < 0)
            throw new IOException($"cannot open state folder {directory} to flush it (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
        try
        {
            if (fsync(fd) != 0)
                throw new IOException($"cannot flush state folder {directory} (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>The first octets of a file another process holds locked. .NET takes a shared flock for any
    /// FileStream that shares, which the holder's exclusive lock refuses; plain open/read takes none.</summary>
    static string? ReadLockedFile(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        int fd = open(Encoding.UTF8.GetBytes(path + "\0"), ORdOnly);
        if (fd < 0) return null;
        try
        {
            var buffer = new byte[32];
            int n = (int)read(fd, buffer, buffer.Length);
            return n > 0 ? Encoding.ASCII.GetString(buffer, 0, n) : null;
        }
        finally
        {
            _ = close(fd);
        }
    }

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code; these signatures are blittable.
    [DllImport("libc.so.6", SetLastError = true)]
    static extern int open(byte[] path, int flags);

    [DllImport("libc.so.6", SetLastError = true)]
    static extern int fsync(int fd);

    [DllImport("libc.so.6", SetLastError = true)]
    static extern int close(int fd);

    [DllImport("libc.so.6", SetLastError = true)]
    static extern nint read(int fd, byte[] buffer, nint count);
#pragma warning restore SYSLIB1054
}
