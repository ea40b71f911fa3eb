namespace Ftpm.Interop.Tests;

/// <summary>The fixture of the tests that drive one live `ftpm serve` with real clients: the server, a
/// scratch folder for the clients' files, both removed afterwards, and (unless a test wants to do it
/// itself) TPM2_Startup(CLEAR) through tpm2-tools.</summary>
public abstract class ServerTest : IDisposable
{
    protected readonly FtpmServer _server = new();
    protected readonly string _dir;

    protected ServerTest(string folderPrefix, bool startup = true)
    {
        _dir = Directory.CreateTempSubdirectory(folderPrefix).FullName;
        if (startup) Client.Tpm2Ok(_server, "tpm2_startup", "-c");
    }

    /// <summary>Runs a tpm2-tools command against the server and requires it to succeed; its stdout.</summary>
    protected string Tool(string tool, params string[] args) => Client.Tpm2Ok(_server, tool, args);

    /// <summary>A file in the scratch folder.</summary>
    protected string PathOf(string name) => Path.Combine(_dir, name);

    public virtual void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_dir, true);
        GC.SuppressFinalize(this);
    }
}
