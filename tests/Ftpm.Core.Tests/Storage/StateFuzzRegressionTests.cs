using System.Security.Cryptography;
using Ftpm.Crypto;
using Ftpm.Ports;
using Ftpm.Storage;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Ftpm.Tests.Storage;

/// <summary>Inputs the state-loading fuzz harness (fuzz/) found, kept as regression tests.</summary>
public sealed class StateFuzzRegressionTests(ITestOutputHelper output)
{
    /// <summary>fuzz/regressions/state/startup-failure-mode.bin: a state file (harness mode 3: the SHA-256
    /// is appended) whose persistent data names an audit hash algorithm that is no hash: Startup(CLEAR), an
    /// audited command, then threw in the cpHash and entered failure mode. A damaged state must be refused at
    /// power-on with InvalidDataException (it now is), or start.</summary>
    [Fact]
    public void Damaged_persistent_data_is_refused_or_starts_never_failure_mode()
    {
        var input = Convert.FromHexString(
        "034654504d4e56000000000001000000000000001c00000003000000010000020f4654504d00010040f48ee51e267b30a2a55506e55cc3ffffffff28" +
        "694270cf9617e544c397bbc64a464f4af88258c4da63e3e4b697a8abe49a78db66c2f6260b762af609017873410040ebe4f0fd5c29166dc5d26ea93b" +
        "ca653cd2a21e63ef6a8622420004000032c84c2fb10ede6b78de4625b0c8954b025732ebb8000000fffb0c9f03de533257ab690040830364057a72d1" +
        "b1e077bf084778d0dda1d1afe54b4328ef23e3e5b5aa7837346fa301d12429b6a62b480b51bff27f7f497fff24e22346c2c83571c6abdd0276000000" +
        "000000000000000000000000000000032f00000000000000000000000000000001000f00ffffff00ffffff00ffffff00ffffff004094fd532186f701" +
        "df8a7063a5a27d5ee5132e010191b0f5c0d4c439b57e1d917e4fa818cfb4ba4653f3396dc07e8a72e3635593233f43da21bf0a7cbcd4fd62a20040f8" +
        "ff96c3385bae9bc92e93488681829c4f62ef25d88026c839658ad458a4e4fb2f208fb80f231faf2a53af52a87f671bc37e6aa4ead54d5b7ce48fff5c" +
        "729f0900406f6b7c30f5b1164ecd3351fb25feee881267630d0b09c7df515ef79587e96ec8fd5cba527b90b62a6ee8dd3294990b0000000000000003" +
        "000003dc00000ae8010000100010001000000000f90000010043da21bf0a7cbcd4fd62a20040f8ff96c3380b001e0000000000010002000001440000" +
        "017b0000001000010000012d00000000001800000000000300000077000000000000001400000040bb300672b590350aec9461bb117c1930333b6e3f" +
        "360b7fbc9f047d984fdf9c50e868273ca576280662698568134cd78d51b7c2f0358b8244fe01671543a2cdea070000800000100020294d373f52fb48" +
        "2545746dce8b2573bd0290c2a37978b1abbcbd0e4cd41a9cac000000004d04000000386a2f4b7a0e3051f1d435aa7365bcea436418a1dbc28b9db23a" +
        "2eb108b85afe4f000000000000000000000000000000000000000000000000");
        byte[] file = [.. input.AsSpan(1), .. SHA256.HashData(input.AsSpan(1))];
        var (records, _) = FileNvStore.Parse(file, "regression");
        var store = new MemoryNvStore();
        store.Commit([.. records.Select(r => new NvChange(r.Key, r.Value))]);
        var log = new List<string>();
        var tpm = new Tpm(new TpmOptions { Crypto = new PlatformCrypto(), Store = store, Platform = new SoftwarePlatform(), Logger = new ListLogger(log) });
        bool refused = false;
        try
        {
            tpm.PowerOn();
        }
        catch (InvalidDataException)
        {
            refused = true; // the damaged state is refused at power-on: the outcome wanted
        }
        if (!refused)
        {
            tpm.Execute(0, [0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0]);
            foreach (var line in log) output.WriteLine(line);
        }
        Assert.True(refused || !tpm.InFailureMode, string.Join("\n", log));
    }

    /// <summary>The state harness found a state whose persistent-object record was damaged but whose other
    /// records loaded: TPM2_ReadPublic of that handle then entered failure mode. Every persistent object is
    /// now decoded at power-on, so such a state is refused when it loads.</summary>
    [Fact]
    public void Damaged_persistent_object_is_refused_at_power_on()
    {
        var store = new MemoryNvStore();
        var tpm = new Tpm(new TpmOptions { Crypto = new PlatformCrypto(), Store = store, Platform = new SoftwarePlatform() });
        tpm.PowerOn(); // manufactures and commits the seeds
        store.Commit([new NvChange(0x81000001, [0, 0, 0, 1, 0, 3, 0x00, 0x23, 0x00])]);
        var again = new Tpm(new TpmOptions { Crypto = new PlatformCrypto(), Store = store, Platform = new SoftwarePlatform() });
        var e = Assert.Throws<InvalidDataException>(again.PowerOn);
        Assert.Contains("81000001", e.Message);
    }

    sealed class ListLogger(List<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Add($"{formatter(state, exception)} {exception}");
    }
}
