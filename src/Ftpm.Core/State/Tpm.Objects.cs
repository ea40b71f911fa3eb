using Ftpm.Dispatch;
using Ftpm.State;

namespace Ftpm;

// Objects: the primary-key cache, the hierarchy seeds primaries are derived from, and finding the
// object behind a transient or persistent handle.
public sealed partial class Tpm
{
    internal readonly PrimaryKeyCache PrimaryCache = new();

    byte[] _nullSeed = [];
    byte[]? _nullSeedProof;

    /// <summary>The primary seed of a hierarchy (Part 1, 14.3). The null hierarchy's seed is new at every
    /// TPM Reset: it is derived from the null proof, which Startup renews at each TPM Reset.</summary>
    internal ReadOnlySpan<byte> SeedOf(uint hierarchy)
    {
        switch ((TpmRh)hierarchy)
        {
            case TpmRh.Owner: return _persistent.StorageSeed;
            case TpmRh.Endorsement: return _persistent.EndorsementSeed;
            case TpmRh.Platform: return _persistent.PlatformSeed;
            default:
                if (!ReferenceEquals(_nullSeedProof, NullProof))
                {
                    _nullSeed = new byte[64];
                    _crypto.Hmac(TpmAlgId.Sha512, NullProof, "ftpm null seed"u8, _nullSeed);
                    _nullSeedProof = NullProof;
                }
                return _nullSeed;
        }
    }

    /// <summary>The key behind a transient or persistent object handle, or null (a sequence, or nothing).</summary>
    internal TpmKey? KeyOf(uint handle) => KindOf(handle) switch
    {
        HandleKinds.Transient => Objects.Get(handle) as TpmKey,
        HandleKinds.Persistent => PersistentObjects.Get(this, handle),
        _ => null,
    };
}

public sealed partial class Tpm
{
    internal readonly PersistentObjects Persistents = new();
    internal Ports.INvStore Store => _store;
}

public sealed partial class Tpm
{
    /// <summary>Sequence objects whose contexts were saved (see <see cref="SavedSequences"/>).</summary>
    internal readonly SavedSequences SavedSequences = new();

    /// <summary>Backend keys of objects whose contexts were saved (see <see cref="SavedKeys"/>).</summary>
    internal readonly SavedKeys SavedKeys = new();
}
