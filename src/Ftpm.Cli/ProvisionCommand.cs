using System.CommandLine;
using Ftpm.Crypto;
using Ftpm.Ports;
using Ftpm.Provisioning;
using Ftpm.Storage;

namespace Ftpm.Cli;

/// <summary><c>ftpm provision --state DIR [--ek rsa,ecc,...] [--ca DIR]</c>: EK certificates for a state
/// folder, issued by a local CA kept beside the state and stored at the TCG EK Credential Profile's NV
/// indices (<see cref="EkProvisioner"/>). Run it while no server uses the folder.</summary>
static class ProvisionCommand
{
    static readonly Option<string> State = new("--state") { Description = "State folder (the --state of ftpm serve)", Required = true };

    static readonly Option<string[]> Ek = new("--ek")
    {
        Description = "EK templates to provision: " + string.Join(", ", EkTemplates.All.Select(t => $"{t.Name} ({t.Profile})")) + "; default: rsa, ecc",
        AllowMultipleArgumentsPerToken = true,
    };

    static readonly Option<string?> Ca = new("--ca")
    {
        Description = "Folder of the EK CA (ca.pem, ca-key.pem; made on first use); default: ek-ca in the state folder",
    };

    static readonly Option<string?> StateKeyFile = new("--state-key")
    {
        Description = $"File holding the state key (32 raw octets or 64 hex digits); default: environment variable {StateKey.EnvironmentVariable}",
    };

    public static Command Create()
    {
        var command = new Command("provision", "Create EK certificates signed by a local CA and store them in the TPM's NV (TCG EK Credential Profile indices)")
        {
            State, Ek, Ca, StateKeyFile,
        };
        command.SetAction(Run);
        return command;
    }

    static int Run(ParseResult parse)
    {
        string stateDirectory = parse.GetValue(State)!;
        var templates = EkProvisioner.ParseTemplates(parse.GetValue(Ek), Console.Error);
        if (templates is null) return 2;
        string caDirectory = parse.GetValue(Ca) ?? Path.Combine(stateDirectory, "ek-ca");

        try
        {
            using var store = new FileNvStore(stateDirectory);
            byte[]? key = StateKey.Load(parse.GetValue(StateKeyFile));
            var nv = GuardedNvStore.Open(store, new StateGuardOptions { StateKey = key, StateName = $"state file {store.StatePath}" });
            if (key is not null) System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
            using (nv as IDisposable)
            {
                var tpm = new Tpm(new TpmOptions { Crypto = new PlatformCrypto(), Store = nv, Platform = new SoftwarePlatform() });
                EkProvisioner.ProvisionAll(tpm, templates, caDirectory, Console.Out);
            }
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or InvalidOperationException
            or System.Security.Cryptography.CryptographicException)
        {
            Console.Error.WriteLine($"ftpm: {e.Message}");
            return 1;
        }
    }
}
