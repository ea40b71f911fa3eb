using System.Text.RegularExpressions;

namespace Ftpm.Interop.Tests;

/// <summary>
/// The commands 1.84 added, with real clients against a live `ftpm serve`: ECC_Encrypt/ECC_Decrypt through
/// tpm2-pytss's TCTI with every value checked in Python (eccencrypt.py), an ACT counting down and signaling
/// to the platform through ESAPI's Esys_ACT_SetTimeout and mssim ACT_GET_SIGNALED (act.py), and
/// tpm2_getcap listing every command the reference enables by default.
/// </summary>
public sealed class V184CommandsTests : ServerTest
{
    public V184CommandsTests() : base("ftpm-v184-", startup: false) { }

    static Client.Result Python(string script, params string[] args) =>
        Client.Run("/usr/bin/python3", [Path.Combine(AppContext.BaseDirectory, "pytss", script), .. args], timeoutMs: 120_000);

    void PytssOk(Client.Result r, string script) =>
        Assert.True(r.ExitCode == 0 && r.Stdout.Contains("ok"), $"{script}: {r}\nserver log:\n{string.Join("\n", _server.Log.TakeLast(20))}");

    /// <summary>eccencrypt.py: the TPM's ciphertext of a random message decrypts in Python with the private
    /// key (C1 on P-256, the KDF2 mask, C3 = H(x2 || M || y2)); a ciphertext made in Python decrypts in the
    /// TPM; a changed C3 is TPM_RC_VALUE. swtpm (libtpms 0.9) has no ECC_Encrypt: the script says so there
    /// instead, and when a libtpms has it, the same checks must pass against it too.</summary>
    [Fact]
    public void Ecc_encryption_round_trips_with_an_independent_implementation()
    {
        PytssOk(Python("eccencrypt.py", _server.Tcti), "eccencrypt.py");
        using var swtpm = Swtpm.Start();
        var reference = Python("eccencrypt.py", swtpm.Tcti);
        Assert.True(reference.ExitCode == 0 && (reference.Stdout.Contains("ok") || reference.Stdout.Contains("unsupported")), $"swtpm: {reference}");
    }

    /// <summary>act.py: ACT_0 set to 1 s through ESAPI is quiet, then signals on the platform port once it
    /// expires (TPM_CAP_ACT shows timeout 0 and signaled), and a new timeout ends the signal.</summary>
    [Fact]
    public void Act_expires_and_signals_the_platform()
    {
        PytssOk(Python("act.py", _server.Tcti, (_server.Port + 1).ToString()), "act.py");
    }

    /// <summary>tpm2_getcap commands lists the commands 1.84 added and Vendor_TCG_Test (V set), and every
    /// command code is listed once, in order.</summary>
    [Fact]
    public void Getcap_lists_the_184_commands()
    {
        Client.Tpm2Ok(_server, "tpm2_startup", "-c");
        var output = Tool("tpm2_getcap", "commands");
        var values = Regex.Matches(output, @"value: 0x([0-9A-F]+)").Select(m => Convert.ToUInt32(m.Groups[1].Value, 16)).ToList();
        var codes = values.Select(v => (v & 0xFFFF) | (v & 0x20000000)).ToList();
        foreach (uint code in new uint[] { 0x196, 0x198, 0x199, 0x19A, 0x19D, 0x19E, 0x1A0, 0x1A1, 0x20000000 })
            Assert.Contains(code, codes);
        Assert.Equal(codes.OrderBy(c => c).Distinct(), codes);
        Assert.Contains(0x20000000u, values);   // Vendor_TCG_Test: commandIndex 0, V
    }
}
