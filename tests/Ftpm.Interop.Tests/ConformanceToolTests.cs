using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Ftpm.Interop.Tests;

/// <summary>
/// Behaviour a user meets with real clients where ftpm must answer as the reference does: a short NV
/// index read with its password, attribute rules at creation, unloaded handles, the Sign ticket, and the
/// mssim platform protocol (handshake flags, TEST_FAILURE_MODE, Startup locality) through raw sockets.
/// </summary>
public sealed class ConformanceToolTests : ServerTest
{
    public ConformanceToolTests() : base("ftpm-conform-") { }

    Client.Result Tool2(string tool, params string[] args) => Client.Tpm2(_server, tool, args);

    [Fact]
    public void Short_index_with_its_password_is_read_without_failing_the_tpm()
    {
        // A 2-byte index authorized by its own authValue (tpm2-tools 5.4 uses an HMAC session for it).
        Tool("tpm2_nvdefine", "0x1500020", "-C", "o", "-s", "2", "-a", "authread|authwrite", "-p", "pw");
        File.WriteAllBytes(PathOf("data"), [0xAB, 0xCD]);
        Tool("tpm2_nvwrite", "0x1500020", "-C", "0x1500020", "-P", "pw", "-i", PathOf("data"));
        Tool("tpm2_nvread", "0x1500020", "-C", "0x1500020", "-P", "pw", "-s", "2", "-o", PathOf("out"));
        Assert.Equal(new byte[] { 0xAB, 0xCD }, File.ReadAllBytes(PathOf("out")));
        Tool("tpm2_nvread", "0x1500020", "-C", "0x1500020", "-P", "pw", "-s", "2", "-o", PathOf("again"));
        Assert.Equal(new byte[] { 0xAB, 0xCD }, File.ReadAllBytes(PathOf("again")));
        // The TPM did not go into failure mode.
        Assert.Equal(8, Convert.FromHexString(Tool("tpm2_getrandom", "8", "--hex").Trim()).Length);
        Assert.Contains("success", Tool("tpm2_gettestresult"));
    }

    [Fact]
    public void Fixed_tpm_with_encrypted_duplication_is_refused_as_attributes()
    {
        var r = Tool2("tpm2_createprimary", "-C", "o", "-G", "ecc", "-c", PathOf("p.ctx"),
            "-a", "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|decrypt|encryptedduplication");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("0x2c2", r.Stderr.ToLowerInvariant());
    }

    [Fact]
    public void Unloaded_transient_handle_is_reference_h0()
    {
        var r = Tool2("tpm2_readpublic", "-c", "0x80000001");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("0x910", r.Stderr.ToLowerInvariant());
    }

    [Fact]
    public void Sign_checks_the_ticket_it_is_given()
    {
        // Without a resource manager each tool leaves its objects loaded: flush between tools.
        Tool("tpm2_createprimary", "-C", "o", "-G", "ecc256:ecdsa-sha256", "-c", PathOf("key.ctx"),
            "-a", "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign");
        Tool("tpm2_flushcontext", "-t");
        File.WriteAllBytes(PathOf("digest"), new byte[32]);
        // TPMT_TK_HASHCHECK with tag TPM_ST_CREATION: TPM_RC_TAG + P3.
        File.WriteAllBytes(PathOf("bad.ticket"), [0x80, 0x21, 0x40, 0x00, 0x00, 0x01, 0x00, 0x00]);
        var r = Tool2("tpm2_sign", "-c", PathOf("key.ctx"), "-g", "sha256", "-d", "-t", PathOf("bad.ticket"),
            "-o", PathOf("sig"), PathOf("digest"));
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("0x3d7", r.Stderr.ToLowerInvariant());
        Tool("tpm2_flushcontext", "-t");
        // A hierarchy that is none: TPM_RC_VALUE + P3.
        File.WriteAllBytes(PathOf("bad2.ticket"), [0x80, 0x24, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00]);
        r = Tool2("tpm2_sign", "-c", PathOf("key.ctx"), "-g", "sha256", "-d", "-t", PathOf("bad2.ticket"),
            "-o", PathOf("sig"), PathOf("digest"));
        Assert.Contains("0x3c4", r.Stderr.ToLowerInvariant());
        Tool("tpm2_flushcontext", "-t");
        // Without a ticket the unrestricted key signs.
        Tool("tpm2_sign", "-c", PathOf("key.ctx"), "-g", "sha256", "-d", "-o", PathOf("sig"), PathOf("digest"));
    }

    // ---- The mssim platform protocol through raw sockets ---------------------------------------------

    sealed class Raw : IDisposable
    {
        readonly TcpClient _tcp = new();
        readonly NetworkStream _s;

        public Raw(int port)
        {
            _tcp.Connect(IPAddress.Loopback, port);
            _s = _tcp.GetStream();
            _s.ReadTimeout = 30_000;
        }

        public void Send(params uint[] values)
        {
            foreach (var v in values)
            {
                var b = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(b, v);
                _s.Write(b);
            }
        }

        public uint Read()
        {
            var b = new byte[4];
            _s.ReadExactly(b);
            return BinaryPrimitives.ReadUInt32BigEndian(b);
        }

        public byte[] Command(byte locality, string hex)
        {
            var command = Convert.FromHexString(hex);
            Send(8);
            _s.WriteByte(locality);
            Send((uint)command.Length);
            _s.Write(command);
            var response = new byte[Read()];
            _s.ReadExactly(response);
            Assert.Equal(0u, Read());
            return response;
        }

        public uint Rc(byte locality, string hex) => BinaryPrimitives.ReadUInt32BigEndian(Command(locality, hex).AsSpan(6));

        public void Dispose() => _tcp.Dispose();
    }

    [Fact]
    public void Handshake_flags_are_the_protocol_bits()
    {
        using var client = new Raw(_server.Port);
        client.Send(15, 1);                                                      // REMOTE_HANDSHAKE, client version 1
        Assert.Equal(1u, client.Read());                                         // server version
        Assert.Equal(0x0Du, client.Read());                                      // PlatformAvailable | InRawMode | SupportsPP
        Assert.Equal(0u, client.Read());
    }

    [Fact]
    public void Test_failure_mode_signal_fails_selftest_until_power_cycle()
    {
        using (var platform = new Raw(_server.Port + 1))
        {
            platform.Send(30);                                                   // TEST_FAILURE_MODE
            Assert.Equal(0u, platform.Read());
        }
        var selftest = Tool2("tpm2_selftest", "--fulltest");
        Assert.NotEqual(0, selftest.ExitCode);
        Assert.Contains("0x101", selftest.Stderr.ToLowerInvariant());
        // GetTestResult still runs in failure mode and reports testResult TPM_RC_FAILURE (tpm2-tools 5.4
        // reports a result that is neither success nor testing, and fails).
        var result = Tool2("tpm2_gettestresult");
        Assert.NotEqual(0, result.ExitCode);
        Assert.DoesNotContain("success", result.Stdout);
        using (var client = new Raw(_server.Port))
        {
            var response = client.Command(0, "80010000000A0000017C");
            Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(response.AsSpan(6)));
            Assert.Equal(0x101u, BinaryPrimitives.ReadUInt32BigEndian(response.AsSpan(response.Length - 4)));
        }
        using (var platform = new Raw(_server.Port + 1))
        {
            platform.Send(2);                                                    // POWER_OFF
            Assert.Equal(0u, platform.Read());
        }
        Tool("tpm2_startup", "-c");                                              // the TCTI powers the TPM on
        Tool("tpm2_selftest", "--fulltest");
    }

    [Fact]
    public void Startup_only_from_locality_0_or_3()
    {
        using var fresh = new FtpmServer();
        using (var platform = new Raw(fresh.Port + 1))
        {
            platform.Send(1);                                                    // POWER_ON
            Assert.Equal(0u, platform.Read());
            platform.Send(11);                                                   // NV_ON
            Assert.Equal(0u, platform.Read());
        }
        using var client = new Raw(fresh.Port);
        const string startupClear = "80010000000C000001440000";
        Assert.Equal(0x907u, client.Rc(1, startupClear));                        // TPM_RC_LOCALITY
        Assert.Equal(0x907u, client.Rc(4, startupClear));
        Assert.Equal(0u, client.Rc(3, startupClear));
        // PCR_Read(SHA-256, PCR 0): the startup locality is PCR 0's last octet, in every bank.
        foreach (var (bank, size) in new[] { ("0004", 20), ("000B", 32), ("000C", 48) })
        {
            var response = client.Command(0, "8001000000140000017E00000001" + bank + "03010000");
            Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(response.AsSpan(6)));
            var value = response[^size..];
            Assert.Equal(3, value[^1]);
            Assert.All(value[..^1], b => Assert.Equal(0, b));
        }
    }
}
