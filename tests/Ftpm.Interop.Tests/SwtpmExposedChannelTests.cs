namespace Ftpm.Interop.Tests;

/// <summary>`ftpm swtpm socket` warns when a TCP channel listens beyond loopback: neither channel has any
/// authentication, and the control channel reads and replaces the whole state (README, Security).</summary>
public sealed class SwtpmExposedChannelTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("ftpm-swtpm-exposed-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void A_control_channel_beyond_loopback_is_warned_about_and_loopback_is_not()
    {
        int port = FtpmServer.FreePortPair();
        using (var exposed = new FtpmSwtpm(
            ["--tpm2", "--tpmstate", $"dir={_dir}", "--server", $"type=tcp,port={port},bindaddr=127.0.0.1",
             "--ctrl", $"type=tcp,port={port + 1},bindaddr=0.0.0.0", "--flags", "not-need-init,startup-clear"], readyPort: port + 1))
        {
            // stderr arrives asynchronously; the warning is written before the channels open.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!exposed.Output.Contains("warning") && DateTime.UtcNow < deadline) Thread.Sleep(50);
            Assert.Contains("warning: the control channel listens on 0.0.0.0, not loopback", exposed.Output);
            Assert.Contains("read or replace its state", exposed.Output);
            Assert.DoesNotContain("the data channel listens", exposed.Output);
        }

        port = FtpmServer.FreePortPair();
        using var local = new FtpmSwtpm(
            ["--tpm2", "--tpmstate", $"dir={_dir}", "--server", $"type=tcp,port={port}",
             "--ctrl", $"type=tcp,port={port + 1}", "--flags", "not-need-init,startup-clear"], readyPort: port + 1);
        Assert.DoesNotContain("warning: the", local.Output);
    }
}
