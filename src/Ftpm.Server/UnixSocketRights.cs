using System.Net.Sockets;
using System.Runtime.InteropServices;
using Native = System.Runtime.InteropServices.Marshal;

namespace Ftpm.Server;

/// <summary>
/// The one piece of native interop the swtpm host needs: recvmsg(2) on a unix socket, keeping a file
/// descriptor passed with SCM_RIGHTS (unix(7)) — how QEMU hands its data channel over the control
/// socket (CMD_SET_DATAFD). .NET's Socket cannot receive descriptors. Linux on 64-bit only (the
/// msghdr/cmsghdr layouts below are those of the LP64 Linux ABI); elsewhere <see cref="IsSupported"/>
/// is false and callers read with <see cref="Socket.Receive(Span{byte})"/>.
/// </summary>
sealed class UnixSocketRights : IDisposable
{
    // struct msghdr { void *name; socklen_t namelen; struct iovec *iov; size_t iovlen; void *control;
    //                 size_t controllen; int flags; } (LP64: 56 bytes)
    const int MsgIov = 16, MsgIovLen = 24, MsgControl = 32, MsgControlLen = 40, MsgHdrSize = 56;
    // struct iovec { void *base; size_t len; }
    const int IovSize = 16;
    // CMSG_SPACE(sizeof(int) * 4): room for a few descriptors; the cmsghdr is { size_t len; int level; int type; }
    const int ControlSize = 16 + 16, CmsgHeader = 16;
    const int SolSocket = 1, ScmRights = 1, MsgCmsgCloexec = 0x40000000;
    const int Eintr = 4, Eagain = 11;

    readonly nint _native; // msghdr, iovec, control, then the data buffer
    readonly int _capacity;
    bool _disposed;

    public static bool IsSupported => OperatingSystem.IsLinux() && nint.Size == 8;

    /// <param name="capacity">Most bytes one <see cref="Receive"/> returns.</param>
    public UnixSocketRights(int capacity)
    {
        _capacity = capacity;
        _native = Native.AllocHGlobal(MsgHdrSize + IovSize + ControlSize + capacity);
    }

    nint Iov => _native + MsgHdrSize;
    nint Control => Iov + IovSize;
    nint Data => Control + ControlSize;

    /// <summary>Receives up to <paramref name="count"/> bytes into <paramref name="buffer"/> at
    /// <paramref name="offset"/> (0 at end of stream). A descriptor
    /// that came with them is returned as a socket in <paramref name="passed"/> (the caller owns it);
    /// extra descriptors are closed.</summary>
    /// <exception cref="SocketException">recvmsg failed.</exception>
    public int Receive(Socket socket, byte[] buffer, int offset, int count, out Socket? passed)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        passed = null;
        int want = Math.Min(count, _capacity);
        for (int i = 0; i < MsgHdrSize + IovSize + ControlSize; i += 8) Native.WriteInt64(_native, i, 0);
        Native.WriteIntPtr(Iov, 0, Data);
        Native.WriteInt64(Iov, 8, want);
        Native.WriteIntPtr(_native, MsgIov, Iov);
        Native.WriteInt64(_native, MsgIovLen, 1);
        Native.WriteIntPtr(_native, MsgControl, Control);
        Native.WriteInt64(_native, MsgControlLen, ControlSize);

        int fd = (int)socket.SafeHandle.DangerousGetHandle();
        nint n;
        while (true)
        {
            n = recvmsg(fd, _native, MsgCmsgCloexec);
            if (n >= 0) break;
            int errno = Native.GetLastPInvokeError();
            if (errno == Eintr) continue;
            if (errno == Eagain) { socket.Poll(-1, SelectMode.SelectRead); continue; }
            throw new SocketException(errno);
        }
        if (n > 0) Native.Copy(Data, buffer, offset, (int)n);

        long controlLength = Native.ReadInt64(_native, MsgControlLen);
        if (controlLength >= CmsgHeader + 4)
        {
            long cmsgLength = Native.ReadInt64(Control, 0);
            int level = Native.ReadInt32(Control, 8), type = Native.ReadInt32(Control, 12);
            if (level == SolSocket && type == ScmRights && cmsgLength >= CmsgHeader + 4 && cmsgLength <= controlLength)
            {
                for (int off = CmsgHeader; off + 4 <= cmsgLength; off += 4)
                {
                    int received = Native.ReadInt32(Control, off);
                    if (received < 0) continue;
                    if (passed is null) passed = new Socket(new SafeSocketHandle(received, ownsHandle: true));
                    else close(received);
                }
            }
        }
        return (int)n;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Native.FreeHGlobal(_native);
    }

    [DllImport("libc", SetLastError = true)]
    static extern nint recvmsg(int socket, nint message, int flags);

    [DllImport("libc", SetLastError = true)]
    static extern int close(int fd);
}
