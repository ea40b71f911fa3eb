using Ftpm.Ports;

namespace Ftpm;

// _TPM_Hash_Start / _TPM_Hash_Data / _TPM_Hash_End (Part 3, 11): before Startup they are the
// H-CRTM measuring into PCR 0; after Startup they are a dynamic launch (DRTM) that resets
// PCRs 17-22 and extends PCR 17 (Part 1, 34).
public sealed partial class Tpm
{
    IHashOperation[]? _hcrtmOperations;
    byte[][]? _hcrtmDigests;

    void HcrtmStart()
    {
        if (!_poweredOn) return;
        foreach (var op in _hcrtmOperations ?? []) op.Dispose();
        var hashes = State.PcrBanks.Hashes;
        _hcrtmOperations = new IHashOperation[hashes.Length];
        for (int b = 0; b < hashes.Length; b++) _hcrtmOperations[b] = _crypto.HashSetup(hashes[b]);
        if (_started)
        {
            for (int pcr = 17; pcr <= 22; pcr++) { Pcrs.Reset(pcr); Pcrs.Changed(pcr); }
        }
    }

    void HcrtmData(ReadOnlySpan<byte> data)
    {
        if (_hcrtmOperations is null) return;
        foreach (var op in _hcrtmOperations) op.Update(data);
    }

    void HcrtmEnd()
    {
        if (_hcrtmOperations is null) return;
        var digests = new byte[_hcrtmOperations.Length][];
        for (int b = 0; b < digests.Length; b++)
        {
            digests[b] = new byte[TpmAlgorithms.DigestSize(_hcrtmOperations[b].Algorithm)];
            _hcrtmOperations[b].Finish(digests[b]);
            _hcrtmOperations[b].Dispose();
        }
        _hcrtmOperations = null;
        if (_started)
        {
            for (int b = 0; b < digests.Length; b++)
                if (Pcrs.IsAllocated(b, 17)) Pcrs.Extend(_crypto, b, 17, digests[b]);
            Pcrs.Changed(17);
        }
        else
        {
            _hcrtmSeen = true;
            _hcrtmDigests = digests;
        }
    }

    /// <summary>At Startup: PCR 0 starts at 4 (the H-CRTM's locality) and takes the measurement (Part 1, 34.2).</summary>
    internal void ApplyHcrtmAtStartup()
    {
        if (_hcrtmDigests is null) return;
        for (int b = 0; b < _hcrtmDigests.Length; b++)
        {
            if (!Pcrs.IsAllocated(b, 0)) continue;
            var pcr0 = Pcrs.Value(b, 0);
            pcr0.AsSpan().Clear();
            pcr0[^1] = 4;
            Pcrs.Extend(_crypto, b, 0, _hcrtmDigests[b]);
        }
        _hcrtmDigests = null;
    }
}
