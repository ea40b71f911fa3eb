namespace Ftpm.Interop.Tests;

/// <summary>The NativeAOT executable and the ftpm tool package, driven as users run them.</summary>
public sealed class NativeAndPackagesTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("ftpm-native-").FullName;

    [Fact]
    public void PublishedNativeBinaryServesTpm2Tools()
    {
        string ftpm = Artifacts.NativeFtpm;
        // One native file: no ftpm.dll (nor a runtime) beside it.
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(ftpm)!, "ftpm.dll")));
        Assert.Equal([ftpm], Directory.GetFiles(Path.GetDirectoryName(ftpm)!));
        Assert.Equal("\x7F" + "ELF", File.ReadAllText(ftpm)[..4]);

        using var server = new FtpmServer(launcher: [ftpm]);
        Client.Tpm2Ok(server, "tpm2_startup", "-c");
        Assert.Equal(32, Client.Tpm2Ok(server, "tpm2_getrandom", "--hex", "16").Trim().Length);
        string ctx = Path.Combine(_dir, "primary.ctx");
        Client.Tpm2Ok(server, "tpm2_createprimary", "-C", "o", "-g", "sha256", "-G", "ecc256", "-c", ctx);
        string pub = Path.Combine(_dir, "pub.pem"), sig = Path.Combine(_dir, "sig"), msg = Path.Combine(_dir, "msg");
        File.WriteAllText(msg, "native");
        Client.Tpm2Ok(server, "tpm2_flushcontext", "-t");
        string key = Path.Combine(_dir, "key.ctx");
        Client.Tpm2Ok(server, "tpm2_createprimary", "-C", "o", "-G", "ecc256:ecdsa-sha256", "-a",
            "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign", "-c", key);
        Client.Tpm2Ok(server, "tpm2_flushcontext", "-t");
        Client.Tpm2Ok(server, "tpm2_sign", "-c", key, "-g", "sha256", "-o", sig, msg);
        Client.Tpm2Ok(server, "tpm2_flushcontext", "-t");
        Client.Tpm2Ok(server, "tpm2_verifysignature", "-c", key, "-g", "sha256", "-m", msg, "-s", sig);
        Client.Tpm2Ok(server, "tpm2_flushcontext", "-t");
        Client.Tpm2Ok(server, "tpm2_readpublic", "-c", key, "-f", "pem", "-o", pub);
        Assert.Contains("BEGIN PUBLIC KEY", File.ReadAllText(pub));
    }

    [Fact]
    public void ToolPackageInstallsAndRuns()
    {
        // `dotnet tool install --global` does the same into ~/.dotnet/tools; a tool path keeps the machine clean.
        string tools = Path.Combine(_dir, "tools");
        var install = Client.Run("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", Artifacts.Packages, "ftpm"], timeoutMs: 300_000);
        Assert.True(install.ExitCode == 0, install.ToString());
        var help = Client.Run(Path.Combine(tools, "ftpm"), ["serve", "--help"]);
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("--max-connections", help.Stdout);

        using var server = new FtpmServer(launcher: [Path.Combine(tools, "ftpm")]);
        Client.Tpm2Ok(server, "tpm2_startup", "-c");
        Assert.Equal(16, Client.Tpm2Ok(server, "tpm2_getrandom", "--hex", "8").Trim().Length);
    }

    [Fact]
    public void LibraryPackageHoldsTheEngine()
    {
        // NuGet ids ignore case, so the library cannot be "Ftpm" beside the "ftpm" tool.
        string package = Assert.Single(Directory.GetFiles(Artifacts.Packages, "Ftpm.Engine.*.nupkg"));
        using var zip = System.IO.Compression.ZipFile.OpenRead(package);
        var names = zip.Entries.Select(e => e.FullName).ToHashSet();
        foreach (var dll in new[] { "Ftpm.Core.dll", "Ftpm.Crypto.dll", "Ftpm.Storage.dll" })
            Assert.Contains("lib/net10.0/" + dll, names);
        Assert.Contains("README.md", names);
        Assert.DoesNotContain(names, n => n.Contains("Ftpm.Server") || n.Contains("ftpm.dll"));
    }

    public void Dispose() => Directory.Delete(_dir, true);
}

/// <summary>docs/COMMANDS.md is what `ftpm commands --markdown` prints from the command table.</summary>
public sealed class CommandListTests
{
    [Fact]
    public void CommandsDocumentMatchesTheCommandTable()
    {
        var r = Client.Run("dotnet", [FtpmServer.CliPath, "commands", "--markdown"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        string document = File.ReadAllText(Path.Combine(Artifacts.Root, "docs", "COMMANDS.md"));
        Assert.True(document == r.Stdout,
            "docs/COMMANDS.md is out of date: regenerate it with `dotnet run --project src/Ftpm.Cli -- commands --markdown > docs/COMMANDS.md`");
        Assert.Contains("| 0x00000182 | PcrExtend |", document);
        Assert.Contains("| 0x0000015D | Sign |", document);
    }
}
