using Ftpm.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ftpm;

/// <summary>What a <see cref="Tpm"/> runs on: its three ports and a logger.</summary>
public sealed class TpmOptions
{
    public required ICrypto Crypto { get; init; }
    public required INvStore Store { get; init; }
    public required IPlatform Platform { get; init; }
    public ILogger Logger { get; init; } = NullLogger.Instance;
}

/// <summary>
/// One TPM: all of its state hangs off this object (no statics), so many can live in one process.
/// Hosts call <see cref="Execute(byte, ReadOnlySpan{byte}, Span{byte})"/> one command at a time and
/// forward platform signals (power, NV, physical presence, H-CRTM hashing). Not thread-safe: a host
/// serializes calls per instance.
/// </summary>
public sealed partial class Tpm
{
    readonly ICrypto _crypto;
    readonly INvStore _store;
    readonly IPlatform _platform;
    readonly ILogger _logger;
    readonly byte[] _commandBuffer = new byte[TpmLimits.MaxCommandSize];

    public Tpm(TpmOptions options)
    {
        _crypto = options.Crypto;
        _store = options.Store;
        _platform = options.Platform;
        _logger = options.Logger;
    }

    internal ICrypto Crypto => _crypto;
    internal IPlatform Platform => _platform;

    /// <summary>Runs one command. Returns the response length written to <paramref name="response"/>,
    /// which must hold <see cref="TpmLimits.MaxResponseSize"/> bytes. Never throws for any input.</summary>
    public int Execute(byte locality, ReadOnlySpan<byte> command, Span<byte> response)
    {
        if (response.Length < TpmLimits.MaxResponseSize)
            throw new ArgumentException($"response buffer must hold {TpmLimits.MaxResponseSize} bytes", nameof(response));
        return ExecuteCommand(locality, command, response);
    }

    /// <summary>Runs one command and returns a new array holding the response.</summary>
    public byte[] Execute(byte locality, ReadOnlySpan<byte> command)
    {
        var response = new byte[TpmLimits.MaxResponseSize];
        int n = Execute(locality, command, response);
        return response.AsSpan(0, n).ToArray();
    }
}
