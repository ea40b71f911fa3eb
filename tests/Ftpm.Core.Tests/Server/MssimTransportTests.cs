using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Ftpm.Crypto;
using Ftpm.Ports;
using Ftpm.Server.Mssim;

namespace Ftpm.Tests.Server;

/// <summary>The transport's defences and socket options: connection limit, stalled requests, TCP_QUICKACK.</summary>
public sealed class MssimTransportTests
{
    // TPM2_Startup(TPM_SU_CLEAR), TPM2_GetRandom(16)
    static readonly byte[] Startup = Convert.FromHexString("80010000000C000001440000");
    static readonly byte[] GetRandom = Convert.FromHexString("80010000000C0000017B0010");

    static MssimServer NewServer(MssimServerOptions options)
    {
        var platform = new SoftwarePlatform();
        var tpm = new Tpm(new TpmOptions { Crypto = new PlatformCrypto(), Store = new MemoryNvStore(), Platform = platform });
        tpm.PowerOn();
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(Execute(tpm, Startup).AsSpan(6)));
        options.CommandPort = 0;
        var server = new MssimServer(tpm, platform, options);
        server.Start();
        return server;
    }

    [Fact]
    public async Task ConnectionsBeyondTheLimitAreClosedAndTheSlotsComeBack()
    {
        await using var server = NewServer(new MssimServerOptions { MaxConnectionsPerPort = 2 });
        using var a = Connect(server.CommandEndPoint);
        using var b = Connect(server.CommandEndPoint);
        Assert.Equal([1u, 0x0Du, 0u], Handshake(a));
        Assert.Equal([1u, 0x0Du, 0u], Handshake(b));

        using (var c = Connect(server.CommandEndPoint))
            AssertClosed(c);
        // The platform port has its own limit.
        using var p = Connect(server.PlatformEndPoint);
        Assert.Equal(0u, Signal(p, MssimCode.SignalPowerOn));

        a.Dispose();
        WaitFor(() => server.OpenConnections(MssimPort.Command) == 1);
        using var d = Connect(server.CommandEndPoint);
        Assert.Equal([1u, 0x0Du, 0u], Handshake(d));
        Assert.Equal(10 + 2 + 16, Command(d, GetRandom).Length);
    }

    [Fact]
    public async Task RequestStalledMidFrameIsDropped()
    {
        await using var server = NewServer(new MssimServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(200) });
        using var stalled = Connect(server.CommandEndPoint);
        stalled.Send([.. U32(8), 0, .. U32(100), 1, 2, 3]);
        // Dropped after the idle timeout, not when the client's 10 s receive timeout runs out.
        AssertClosed(stalled);
        WaitFor(() => server.OpenConnections(MssimPort.Command) == 0);

        using var platform = Connect(server.PlatformEndPoint);
        platform.Send(U32((uint)MssimCode.SetFwSvn)[..2]);
        AssertClosed(platform);
    }

    [Fact]
    public async Task ConnectionIdleBetweenRequestsIsKept()
    {
        await using var server = NewServer(new MssimServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(100) });
        using var client = Connect(server.CommandEndPoint);
        Assert.Equal(10 + 2 + 16, Command(client, GetRandom).Length);
        Thread.Sleep(500); // several receive timeouts pass with no request under way
        Assert.Equal(10 + 2 + 16, Command(client, GetRandom).Length);
    }

    [Fact]
    public async Task ClientThatSplitsItsWritesIsAcknowledgedAtOnce()
    {
        Assert.True(OperatingSystem.IsLinux(), "TCP_QUICKACK is Linux's; ftpm serves from Linux");
        await using var server = NewServer(new MssimServerOptions());
        // As tpm2-tss writes: no TCP_NODELAY, the 9-octet prefix and the command in two writes.
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = false, ReceiveTimeout = 10_000 };
        client.Connect(server.CommandEndPoint);
        for (int i = 0; i < 20; i++)
        {
            client.Send([.. U32(8), 0, .. U32((uint)GetRandom.Length)]);
            client.Send(GetRandom);
            var reply = new byte[4 + 28 + 4];
            for (int got = 0; got < reply.Length;) got += client.Receive(reply, got, reply.Length - got, SocketFlags.None);
            Assert.Equal(28u, BinaryPrimitives.ReadUInt32BigEndian(reply));
        }
        // After request/reply exchanges Linux would be back to delayed ACKs ("pingpong" mode, TCP_QUICKACK
        // reads 0); the server re-arms quick ACKs after every receive, so it still reads 1.
        // The server re-arms right after its send returns, which may be just after the client has the reply:
        // wait (bounded) for that call rather than race it.
        var socket = Assert.Single(server.ConnectionSockets(MssimPort.Command));
        var value = new byte[4];
        for (int tries = 0; tries < 100; tries++)
        {
            Assert.Equal(4, socket.GetRawSocketOption(6, 12, value));
            if (BitConverter.ToInt32(value) == 1) break;
            Thread.Sleep(20);
        }
        Assert.Equal(1, BitConverter.ToInt32(value));
        Assert.True(socket.NoDelay);
    }

    static byte[] Execute(Tpm tpm, byte[] command)
    {
        var response = new byte[TpmLimits.MaxResponseSize];
        return response[..tpm.Execute(0, command, response)];
    }

    static void WaitFor(Func<bool> condition)
    {
        for (int i = 0; i < 1000 && !condition(); i++) Thread.Sleep(10);
        Assert.True(condition());
    }

    static Socket Connect(IPEndPoint endPoint)
    {
        var s = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000, SendTimeout = 10_000 };
        s.Connect(endPoint);
        return s;
    }

    static byte[] ReadExactly(Socket s, int count)
    {
        var buffer = new byte[count];
        for (int got = 0; got < count;)
        {
            int n = s.Receive(buffer, got, count - got, SocketFlags.None);
            Assert.NotEqual(0, n);
            got += n;
        }
        return buffer;
    }

    static uint ReadU32(Socket s) => BinaryPrimitives.ReadUInt32BigEndian(ReadExactly(s, 4));

    static uint[] Handshake(Socket s)
    {
        s.Send([.. U32((uint)MssimCode.RemoteHandshake), .. U32(1)]);
        return [ReadU32(s), ReadU32(s), ReadU32(s)];
    }

    static uint Signal(Socket s, MssimCode code)
    {
        s.Send(U32((uint)code));
        return ReadU32(s);
    }

    static byte[] Command(Socket s, byte[] command)
    {
        s.Send([.. U32(8), 0, .. U32((uint)command.Length), .. command]);
        var response = ReadExactly(s, (int)ReadU32(s));
        Assert.Equal(0u, ReadU32(s));
        return response;
    }

    /// <summary>The server closed the connection: a read sees end of stream or a reset, not the client's timeout.</summary>
    static void AssertClosed(Socket s)
    {
        try
        {
            Assert.Equal(0, s.Receive(new byte[1]));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }
    }

    static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }
}
