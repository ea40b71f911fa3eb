using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Ftpm.Crypto;
using Ftpm.Ports;
using Ftpm.Server.Swtpm;

namespace Ftpm.Interop.Tests;

/// <summary>One process hosting several swtpm-protocol TPMs: each <see cref="SwtpmServer"/> has its own
/// TPM, store and sockets, and nothing one does shows in another.</summary>
public sealed class SwtpmInstancesTests
{
    static (SwtpmServer Server, int Port) NewInstance()
    {
        var platform = new SoftwarePlatform();
        var store = new MemoryNvStore();
        var tpm = new Tpm(new TpmOptions { Crypto = new PlatformCrypto(), Store = store, Platform = platform });
        var server = new SwtpmServer(tpm, platform, store, new SwtpmServerOptions
        {
            Data = new SwtpmTcpEndPoint(IPAddress.Loopback, 0),
            Control = new SwtpmTcpEndPoint(IPAddress.Loopback, 0),
            NeedInit = false,
            Startup = SwtpmStartup.Clear,
        });
        server.Start();
        return (server, ((SwtpmTcpEndPoint)server.DataEndPoint!).Port);
    }

    static byte[] Execute(int port, string hex)
    {
        using var client = new TcpClient();
        client.Connect(IPAddress.Loopback, port);
        var stream = client.GetStream();
        stream.Write(Convert.FromHexString(hex));
        var header = new byte[10];
        stream.ReadExactly(header);
        var rest = new byte[BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(2)) - 10];
        stream.ReadExactly(rest);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(6)));
        return [.. header, .. rest];
    }

    // TPM2_PCR_Read(sha256, PCR 16) and TPM2_PCR_Extend(PCR 16, password session, one SHA-256 digest of 0x11).
    const string PcrRead16 = "8001000000140000017E00000001000B03000001";
    const string PcrExtend16 = "800200000041000001820000001000000009400000090000010000" + "00000001000B"
        + "1111111111111111111111111111111111111111111111111111111111111111";

    [Fact]
    public void Instances_in_one_process_are_independent()
    {
        var instances = Enumerable.Range(0, 3).Select(_ => NewInstance()).ToList();
        try
        {
            var before = Execute(instances[1].Port, PcrRead16);
            Execute(instances[0].Port, PcrExtend16);
            Assert.NotEqual(before, Execute(instances[0].Port, PcrRead16));
            Assert.Equal(before, Execute(instances[1].Port, PcrRead16));
            Assert.Equal(before, Execute(instances[2].Port, PcrRead16));
            // Stopping one leaves the others serving.
            instances[0].Server.Stop();
            Assert.Equal(before, Execute(instances[2].Port, PcrRead16));
        }
        finally
        {
            foreach (var (server, _) in instances) server.Dispose();
        }
    }
}
