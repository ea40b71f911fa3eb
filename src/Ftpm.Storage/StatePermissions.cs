namespace Ftpm.Storage;

/// <summary>
/// The permission checks `ftpm serve` makes before it opens a state (Unix only): the state folder and
/// the key file must not be writable by group or others (anyone who can replace them can replace the
/// TPM's seeds or make it use a key of their choosing), and should not be readable by them (the state
/// holds seeds and authorization values; unencrypted, reading it is enough to impersonate the TPM).
/// </summary>
public static class StatePermissions
{
    const UnixFileMode GroupOrOtherWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
    const UnixFileMode GroupOrOtherRead = UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>One finding: <see cref="Refuse"/> ones stop the server.</summary>
    public readonly record struct Finding(bool Refuse, string Message);

    /// <summary>Checks the state folder (if it exists), its state file, and the key file (if given).</summary>
    public static IReadOnlyList<Finding> Check(string stateDirectory, string? keyFile, bool encrypted)
    {
        var findings = new List<Finding>();
        if (OperatingSystem.IsWindows()) return findings;
        string folder = Path.GetFullPath(stateDirectory);
        if (Directory.Exists(folder))
        {
            var mode = File.GetUnixFileMode(folder);
            if ((mode & GroupOrOtherWrite) != 0)
                findings.Add(new(true, $"state folder {folder} is writable by {Who(mode, GroupOrOtherWrite)} (mode {Octal(mode)}): " +
                    $"others could replace the TPM's state; make it private with chmod 700 {folder}"));
            else if ((mode & GroupOrOtherRead) != 0)
                findings.Add(new(false, $"state folder {folder} is readable by {Who(mode, GroupOrOtherRead)} (mode {Octal(mode)}); chmod 700 {folder} keeps the TPM's secrets private"));
            string state = Path.Combine(folder, FileNvStore.StateFileName);
            if (File.Exists(state))
            {
                var fileMode = File.GetUnixFileMode(state);
                if ((fileMode & GroupOrOtherWrite) != 0)
                    findings.Add(new(true, $"state file {state} is writable by {Who(fileMode, GroupOrOtherWrite)} (mode {Octal(fileMode)}); chmod 600 {state}"));
                else if ((fileMode & GroupOrOtherRead) != 0)
                    findings.Add(new(false, $"state file {state} is readable by {Who(fileMode, GroupOrOtherRead)} (mode {Octal(fileMode)}); chmod 600 {state}"));
            }
        }
        if (keyFile is not null && File.Exists(keyFile))
        {
            string key = Path.GetFullPath(keyFile);
            var mode = File.GetUnixFileMode(key);
            if ((mode & GroupOrOtherWrite) != 0)
                findings.Add(new(true, $"state key file {key} is writable by {Who(mode, GroupOrOtherWrite)} (mode {Octal(mode)}): others could swap the key; chmod 600 {key}"));
            else if ((mode & GroupOrOtherRead) != 0)
                findings.Add(new(false, $"state key file {key} is readable by {Who(mode, GroupOrOtherRead)} (mode {Octal(mode)}): they can decrypt the state; chmod 600 {key}"));
        }
        if (!encrypted)
            findings.Add(new(false, "the state is stored unencrypted (hierarchy seeds, owner and lockout authorization, NV passwords): " +
                $"anyone who can read {folder} can impersonate this TPM; give --state-key FILE or {StateKey.EnvironmentVariable} to encrypt it"));
        return findings;
    }

    static string Who(UnixFileMode mode, UnixFileMode bits) =>
        (mode & bits & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite)) != 0
            ? (mode & bits & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0 ? "its group and all users" : "its group"
            : "all users";

    static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);
}
