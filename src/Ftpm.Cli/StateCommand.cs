using System.CommandLine;
using Ftpm.Storage;

namespace Ftpm.Cli;

/// <summary><c>ftpm state show DIR</c> and <c>ftpm state verify DIR [--rpmb F] [--state-key F]</c>: read a
/// state folder without starting a server.</summary>
static class StateCommand
{
    static readonly Argument<string> Directory = new("DIR") { Description = "State folder (the --state of ftpm serve)" };

    static Option<string?> StateKeyOption() => new("--state-key")
    {
        Description = $"File holding the state key (32 raw octets or 64 hex digits); default: environment variable {StateKey.EnvironmentVariable}",
    };

    public static Command Create()
    {
        var showKey = StateKeyOption();
        var show = new Command("show", "Show what a state folder holds: hierarchies, persistent objects, NV indices with attributes and sizes, counters")
        {
            Directory, showKey,
        };
        show.SetAction(parse => Run(parse.GetValue(showKey), key =>
            StateInspector.Show(parse.GetValue(Directory)!, key, Console.Out, Console.Error)));

        var verifyKey = StateKeyOption();
        var rpmb = new Option<string?>("--rpmb") { Description = "RPMB counter file the state was written with (checks for rollback)" };
        var verify = new Command("verify", "Verify a state folder: file checksum, integrity MAC and keys, RPMB counter, every record's format")
        {
            Directory, rpmb, verifyKey,
        };
        verify.SetAction(parse => Run(parse.GetValue(verifyKey), key =>
            StateInspector.Verify(parse.GetValue(Directory)!, parse.GetValue(rpmb), key, Console.Out, Console.Error)));

        return new Command("state", "Inspect a state folder without starting a server") { show, verify };
    }

    static int Run(string? keyFile, Func<byte[]?, int> action)
    {
        byte[]? key;
        try
        {
            key = StateKey.Load(keyFile);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"ftpm: {e.Message}");
            return 1;
        }
        try
        {
            return action(key);
        }
        finally
        {
            if (key is not null) System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
        }
    }
}
