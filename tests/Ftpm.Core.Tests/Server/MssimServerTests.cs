using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Ftpm.Crypto;
using Ftpm.Ports;
using Ftpm.Server;
using Ftpm.Server.Mssim;

namespace Ftpm.Tests.Server;

public sealed class MssimServerTests : IAsyncLifetime
{
    // TPM2_Startup(TPM_SU_CLEAR)
    static readonly byte[] Startup = Convert.FromHexString("80010000000C000001440000");

    readonly SoftwarePlatform _platform = new();
    readonly Tpm _tpm;
    readonly MssimServer _server;

    public MssimServerTests()
    {
        _tpm = new Tpm(new TpmOptions { Crypto = new PlatformCrypto(), Store = new MemoryNvStore(), Platform = _platform });
        _server = new MssimServer(_tpm, _platform, new MssimServerOptions { CommandPort = 0 });
    }

    public Task InitializeAsync()
    {
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public void BindsFreePortsOnLoopback()
    {
        Assert.Equal(IPAddress.Loopback, _server.CommandEndPoint.Address);
        Assert.NotEqual(0, _server.CommandEndPoint.Port);
        Assert.NotEqual(0, _server.PlatformEndPoint.Port);
        Assert.NotEqual(_server.CommandEndPoint.Port, _server.PlatformEndPoint.Port);
    }

    [Fact]
    public async Task PortInUseIsItsOwnError()
    {
        await using var other = new MssimServer(_tpm, _platform,
            new MssimServerOptions { CommandPort = _server.CommandEndPoint.Port, PlatformPort = 0 });
        var e = Assert.Throws<AddressInUseException>(other.Start);
        Assert.Contains(_server.CommandEndPoint.Port.ToString(), e.Message);
    }

    [Fact]
    public async Task PlatformAddressKeepsThePlatformPortOnLoopback()
    {
        // Commands on every interface, platform signals only from this machine (--platform-address).
        await using var server = new MssimServer(_tpm, _platform,
            new MssimServerOptions { Address = IPAddress.Any, PlatformAddress = IPAddress.Loopback, CommandPort = 0 });
        server.Start();
        Assert.Equal(IPAddress.Any, server.CommandEndPoint.Address);
        Assert.Equal(IPAddress.Loopback, server.PlatformEndPoint.Address);
    }

    [Fact]
    public void PlatformPortDefaultsToCommandPortPlusOne()
    {
        Assert.Equal(2322, new MssimServerOptions().EffectivePlatformPort);
        Assert.Equal(4322, new MssimServerOptions { CommandPort = 4321 }.EffectivePlatformPort);
        Assert.Equal(0, new MssimServerOptions { CommandPort = 0 }.EffectivePlatformPort);
        Assert.Equal(7, new MssimServerOptions { CommandPort = 4321, PlatformPort = 7 }.EffectivePlatformPort);
    }

    [Fact]
    public void HandshakeAnswersVersionAndFlags()
    {
        // TpmEndPointInfo (TpmTcpProtocol.h): tpmPlatformAvailable 0x01 | tpmInRawMode 0x04 | tpmSupportsPP
        // 0x08, and not tpmUsesTbs 0x02: a client that saw 0x02 would take the TPM for a resource manager
        // and skip power-up, Startup and physical presence.
        using var client = Connect(_server.CommandEndPoint);
        client.Send(MssimCode.RemoteHandshake, 1);
        var answer = client.ReadU32s(3);
        Assert.Equal([1u, 0x0Du, 0u], answer);
        Assert.Equal(0u, answer[1] & 0x02);
    }

    static readonly byte[] SelfTestFull = Convert.FromHexString("80010000000B0000014301");
    static readonly byte[] GetTestResult = Convert.FromHexString("80010000000A0000017C");

    [Fact]
    public void TestFailureModeFailsTheTpmUntilTheNextPowerCycle()
    {
        using var platform = Connect(_server.PlatformEndPoint);
        using var client = Connect(_server.CommandEndPoint);
        Assert.Equal(0u, platform.Signal(MssimCode.SignalPowerOn));
        Assert.Equal(0u, platform.Signal(MssimCode.SignalNvOn));
        Assert.Equal(0u, Rc(client.SendCommand(0, Startup)));
        Assert.Equal(0u, Rc(client.SendCommand(0, SelfTestFull)));

        Assert.Equal(0u, platform.Signal(MssimCode.TestFailureMode));
        Assert.Equal(0x101u, Rc(client.SendCommand(0, SelfTestFull)));                // TPM_RC_FAILURE
        var result = client.SendCommand(0, GetTestResult);
        Assert.Equal(0u, Rc(result));
        int outData = BinaryPrimitives.ReadUInt16BigEndian(result.AsSpan(10));
        Assert.Equal(0x101u, BinaryPrimitives.ReadUInt32BigEndian(result.AsSpan(12 + outData))); // testResult
        Assert.Equal(0x101u, Rc(client.SendCommand(0, Startup)));                     // still failed

        Assert.Equal(0u, platform.Signal(MssimCode.SignalPowerOff));
        Assert.Equal(0u, platform.Signal(MssimCode.SignalPowerOn));
        Assert.Equal(0u, Rc(client.SendCommand(0, Startup)));
        Assert.Equal(0u, Rc(client.SendCommand(0, SelfTestFull)));
    }

    [Fact]
    public void RestartSignalBeginsANewTimeEpoch()
    {
        using var platform = Connect(_server.PlatformEndPoint);
        Assert.Equal(0u, platform.Signal(MssimCode.SignalPowerOn));
        ulong before = _tpm.TimeEpoch;
        Assert.Equal(0u, platform.Signal(MssimCode.SignalRestart));
        Assert.NotEqual(before, _tpm.TimeEpoch);
    }

    static uint Rc(byte[] response) => BinaryPrimitives.ReadUInt32BigEndian(response.AsSpan(6));

    [Fact]
    public void HandshakeWithVersionZeroDropsTheClient()
    {
        using var client = Connect(_server.CommandEndPoint);
        client.Send(MssimCode.RemoteHandshake, 0);
        client.AssertClosed();
    }

    [Fact]
    public void SendCommandFramesTheResponse()
    {
        using var client = Connect(_server.CommandEndPoint);
        byte[] reply = client.SendCommand(3, Startup);

        Assert.True(reply.Length >= 10);
        ushort tag = BinaryPrimitives.ReadUInt16BigEndian(reply);
        Assert.True(tag is 0x8001 or 0x8002);
        Assert.Equal((uint)reply.Length, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(2)));
        // The connection stays usable after the trailing zero.
        client.Send(MssimCode.RemoteHandshake, 1);
        Assert.Equal([1u, 0x0Du, 0u], client.ReadU32s(3));
    }

    [Fact]
    public void SendCommandReplyArrivesInOneSend()
    {
        using var client = Connect(_server.CommandEndPoint);
        client.SendRaw([.. U32(8), 0, .. U32((uint)Startup.Length), .. Startup]);
        // The server writes length, response and trailing zero in one send; on loopback one receive gets it all.
        byte[] all = client.ReceiveOnce();
        uint length = BinaryPrimitives.ReadUInt32BigEndian(all);
        Assert.Equal(4 + (int)length + 4, all.Length);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(all.AsSpan(4 + (int)length)));
    }

    [Fact]
    public void PlatformSignalsAreAcknowledgedAndApplied()
    {
        using var platform = Connect(_server.PlatformEndPoint);
        Assert.Equal(0u, platform.Signal(MssimCode.SignalPowerOn));
        Assert.True(_tpm.IsPoweredOn);
        Assert.Equal(0u, platform.Signal(MssimCode.SignalNvOn));
        Assert.True(_platform.NvAvailable);
        Assert.Equal(0u, platform.Signal(MssimCode.SignalPowerOn)); // already on: no change
        Assert.True(_tpm.IsPoweredOn);

        Assert.Equal(0u, platform.Signal(MssimCode.SignalPhysPresOn));
        Assert.True(_platform.PhysicalPresence);
        Assert.Equal(0u, platform.Signal(MssimCode.SignalPhysPresOff));
        Assert.False(_platform.PhysicalPresence);

        Assert.Equal(0u, platform.Signal(MssimCode.SignalCancelOn));
        Assert.True(_platform.Cancelled);
        Assert.Equal(0u, platform.Signal(MssimCode.SignalCancelOff));
        Assert.False(_platform.Cancelled);

        Assert.Equal(0u, platform.Signal(MssimCode.SignalNvOff));
        Assert.False(_platform.NvAvailable);
        Assert.Equal(0u, platform.Signal(MssimCode.SignalNvOn));

        Assert.Equal(0u, platform.Signal(MssimCode.SignalReset));
        Assert.True(_tpm.IsPoweredOn);
        Assert.Equal(0u, platform.Signal(MssimCode.SignalPowerOff));
        Assert.False(_tpm.IsPoweredOn);
        Assert.Equal(0u, platform.Signal(MssimCode.SignalReset)); // ignored while off
        Assert.False(_tpm.IsPoweredOn);
        // A cancel does not outlive a power cycle (the reference clears it at _TPM_Init), nor a reset.
        Assert.Equal(0u, platform.Signal(MssimCode.SignalCancelOn));
        Assert.Equal(0u, platform.Signal(MssimCode.SignalPowerOn));
        Assert.False(_platform.Cancelled);
        Assert.Equal(0u, platform.Signal(MssimCode.SignalCancelOn));
        Assert.Equal(0u, platform.Signal(MssimCode.SignalReset));
        Assert.False(_platform.Cancelled);

        foreach (var code in new[] { MssimCode.SignalKeyCacheOn, MssimCode.SignalKeyCacheOff, MssimCode.SignalRestart, MssimCode.TestFailureMode })
            Assert.Equal(0u, platform.Signal(code));
    }

    [Fact]
    public void PlatformCodesWithAnArgument()
    {
        using var platform = Connect(_server.PlatformEndPoint);
        platform.Send(MssimCode.ActGetSignaled, 0x40000110);
        Assert.Equal([0u, 0u], platform.ReadU32s(2));
        platform.Send(MssimCode.SetFwHash, 0x12345678);
        Assert.Equal(0u, platform.ReadU32s(1)[0]);
        platform.Send(MssimCode.SetFwSvn, 3);
        Assert.Equal(0u, platform.ReadU32s(1)[0]);
    }

    [Fact]
    public void CommandResponseSizesReportTheLargest()
    {
        using (var command = Connect(_server.CommandEndPoint))
            command.SendCommand(0, Startup);
        using var platform = Connect(_server.PlatformEndPoint);
        platform.Send(MssimCode.GetCommandResponseSizes);
        Assert.Equal(16u, platform.ReadU32s(1)[0]);
        byte[] sizes = platform.ReadExactly(16);
        Assert.Equal((uint)Startup.Length, BitConverter.ToUInt32(sizes, 0));
        Assert.Equal(0u, platform.ReadU32s(1)[0]);
    }

    [Fact]
    public void UnknownPlatformCodeGetsOneAndTheConnectionKeepsWorking()
    {
        using var platform = Connect(_server.PlatformEndPoint);
        Assert.Equal(1u, platform.Signal((MssimCode)99));
        Assert.Equal(1u, platform.Signal(MssimCode.SendCommand));
        Assert.Equal(0u, platform.Signal(MssimCode.SignalPowerOn));
    }

    [Fact]
    public void OversizedCommandDropsThatClientOnly()
    {
        using var platform = Connect(_server.PlatformEndPoint);
        using (var bad = Connect(_server.CommandEndPoint))
        {
            bad.SendRaw([.. U32(8), 0, .. U32(TpmLimits.MaxCommandSize + 1)]);
            bad.AssertClosed();
        }
        using var good = Connect(_server.CommandEndPoint);
        Assert.Equal(10, good.SendCommand(0, Startup).Length);
        Assert.Equal(0u, platform.Signal(MssimCode.SignalNvOn));
    }

    [Fact]
    public void GarbageOnTheCommandPortDropsThatClientOnly()
    {
        using (var bad = Connect(_server.CommandEndPoint))
        {
            bad.SendRaw([0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3]);
            bad.AssertClosed();
        }
        using var good = Connect(_server.CommandEndPoint);
        good.Send(MssimCode.RemoteHandshake, 1);
        Assert.Equal([1u, 0x0Du, 0u], good.ReadU32s(3));
    }

    [Fact]
    public void ClientDyingMidCommandIsDropped()
    {
        using (var dying = Connect(_server.CommandEndPoint))
            dying.SendRaw([.. U32(8), 0, .. U32(100), 1, 2, 3]);
        using var good = Connect(_server.CommandEndPoint);
        Assert.Equal(10, good.SendCommand(0, Startup).Length);
    }

    [Fact]
    public void SessionEndClosesBothKindsOfConnection()
    {
        using var command = Connect(_server.CommandEndPoint);
        command.Send(MssimCode.SessionEnd);
        command.AssertClosed();

        using var platform = Connect(_server.PlatformEndPoint);
        platform.Send(MssimCode.SessionEnd);
        platform.AssertClosed();

        using var next = Connect(_server.CommandEndPoint);
        Assert.Equal(10, next.SendCommand(0, Startup).Length);
    }

    [Fact]
    public void HashSequenceIsAcknowledged()
    {
        using var client = Connect(_server.CommandEndPoint);
        client.Send(MssimCode.SignalHashStart);
        Assert.Equal(0u, client.ReadU32s(1)[0]);
        client.SendRaw([.. U32(6), .. U32(20000), .. new byte[20000]]);
        Assert.Equal(0u, client.ReadU32s(1)[0]);
        client.Send(MssimCode.SignalHashEnd);
        Assert.Equal(0u, client.ReadU32s(1)[0]);
    }

    [Fact]
    public async Task CommandAndPlatformClientsRunConcurrently()
    {
        var commands = Task.Run(() =>
        {
            using var client = Connect(_server.CommandEndPoint);
            for (int i = 0; i < 200; i++) Assert.Equal(10, client.SendCommand(0, Startup).Length);
        });
        var signals = Task.Run(() =>
        {
            using var platform = Connect(_server.PlatformEndPoint);
            for (int i = 0; i < 200; i++)
            {
                Assert.Equal(0u, platform.Signal(MssimCode.SignalPowerOn));
                Assert.Equal(0u, platform.Signal(MssimCode.SignalNvOn));
            }
        });
        await Task.WhenAll(commands, signals).WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task StopEndsTheServer()
    {
        using var platform = Connect(_server.PlatformEndPoint);
        platform.Send(MssimCode.Stop);
        await _server.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        var e = Assert.ThrowsAny<SocketException>(() => Connect(_server.CommandEndPoint));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
    }

    [Fact]
    public async Task StopAsyncClosesOpenConnections()
    {
        using var client = Connect(_server.CommandEndPoint);
        client.Send(MssimCode.RemoteHandshake, 1);
        client.ReadU32s(3);
        await _server.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
        client.AssertClosed();
        await _server.StopAsync(); // idempotent
    }

    static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    static byte[] U32(int value) => U32((uint)value);

    static MssimTestClient Connect(IPEndPoint endPoint) => new(endPoint);

    /// <summary>A raw mssim client: big-endian u32s over a blocking socket with timeouts.</summary>
    sealed class MssimTestClient : IDisposable
    {
        readonly TcpClient _tcp;
        readonly NetworkStream _stream;

        public MssimTestClient(IPEndPoint endPoint)
        {
            _tcp = new TcpClient(endPoint.AddressFamily) { ReceiveTimeout = 10_000, SendTimeout = 10_000 };
            _tcp.Connect(endPoint);
            _stream = _tcp.GetStream();
        }

        public void SendRaw(byte[] bytes) => _stream.Write(bytes);

        public void Send(MssimCode code, params uint[] args)
        {
            var bytes = new List<byte>(U32((uint)code));
            foreach (uint a in args) bytes.AddRange(U32(a));
            SendRaw([.. bytes]);
        }

        public uint Signal(MssimCode code)
        {
            Send(code);
            return ReadU32s(1)[0];
        }

        public byte[] SendCommand(byte locality, byte[] command)
        {
            SendRaw([.. U32(8), locality, .. U32((uint)command.Length), .. command]);
            uint length = ReadU32s(1)[0];
            byte[] response = ReadExactly((int)length);
            Assert.Equal(0u, ReadU32s(1)[0]);
            return response;
        }

        public byte[] ReceiveOnce()
        {
            var buffer = new byte[TpmLimits.MaxResponseSize + 8];
            int n = _tcp.Client.Receive(buffer);
            return buffer[..n];
        }

        public byte[] ReadExactly(int count)
        {
            var buffer = new byte[count];
            _stream.ReadExactly(buffer);
            return buffer;
        }

        public uint[] ReadU32s(int count)
        {
            byte[] bytes = ReadExactly(4 * count);
            return Enumerable.Range(0, count).Select(i => BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 * i))).ToArray();
        }

        /// <summary>The server closed the connection: a read sees end of stream (or a reset).</summary>
        public void AssertClosed()
        {
            try
            {
                Assert.Equal(0, _stream.Read(new byte[1]));
            }
            catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
            {
            }
        }

        public void Dispose() => _tcp.Dispose();
    }
}
