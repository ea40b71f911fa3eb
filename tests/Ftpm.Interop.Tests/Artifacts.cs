namespace Ftpm.Interop.Tests;

/// <summary>
/// What `./test.sh` builds besides the test assemblies: the NativeAOT executable (`dotnet publish src/Ftpm.Cli
/// -c Release -o artifacts/native`) and the packages (`dotnet pack ftpm.slnx -c Release -o artifacts/packages`).
/// When a test runs without them (plain `dotnet test`), it makes them the same way first.
/// </summary>
public static class Artifacts
{
    static readonly Lock Gate = new();

    /// <summary>The repository's root (the folder of ftpm.slnx above the test assembly).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The published native `ftpm`.</summary>
    public static string NativeFtpm
    {
        get
        {
            string dir = Path.Combine(Root, "artifacts", "native");
            string path = Path.Combine(dir, "ftpm");
            lock (Gate)
            {
                if (!File.Exists(path))
                    Dotnet("publish", "src/Ftpm.Cli", "-c", "Release", "-o", dir);
            }
            return path;
        }
    }

    /// <summary>The folder holding the ftpm tool and Ftpm library packages.</summary>
    public static string Packages
    {
        get
        {
            string dir = Path.Combine(Root, "artifacts", "packages");
            lock (Gate)
            {
                if (!Directory.Exists(dir) || Directory.GetFiles(dir, "ftpm.*.nupkg").Length == 0)
                    Dotnet("pack", "ftpm.slnx", "-c", "Release", "-o", dir);
            }
            return dir;
        }
    }

    static void Dotnet(params string[] args)
    {
        var r = Client.Run("dotnet", args, workDir: Root, timeoutMs: 900_000);
        Assert.True(r.ExitCode == 0, $"dotnet {string.Join(' ', args)}: {r}");
    }

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ftpm.slnx"))) return dir.FullName;
        throw new InvalidOperationException("ftpm.slnx not found above " + AppContext.BaseDirectory);
    }
}
