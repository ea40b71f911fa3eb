using Ftpm.Marshal;
using Ftpm.State;

namespace Ftpm;

// What hierarchy administration (Commands/Hierarchy.cs) does to objects and NV indices. Removals of
// records are staged in the running command's NV transaction.
public sealed partial class Tpm
{
    /// <summary>Flushes the loaded keys of a hierarchy (the reference's ObjectFlushHierarchy):
    /// HierarchyControl disabling it, ChangePPS, ChangeEPS, Clear. Primaries cached from a seed that may
    /// have changed are forgotten. Hash sequences belong to no hierarchy and stay.</summary>
    internal void FlushHierarchyObjects(uint hierarchy)
    {
        foreach (uint handle in Objects.Handles().ToArray())
            if (Objects.Get(handle) is TpmKey key && key.Hierarchy == hierarchy) Objects.Remove(handle);
        PrimaryCache.Clear();
        SavedKeys.Clear();
    }

    /// <summary>Removes what NV holds for a hierarchy (the reference's NvFlushHierarchy): its persistent
    /// objects and, for TPM_RH_OWNER (Clear), every NV index without TPMA_NV_PLATFORMCREATE.</summary>
    internal void FlushHierarchyNv(uint hierarchy)
    {
        foreach (uint handle in Persistents.Handles(this))
            if (PersistentObjects.Get(this, handle) is { } key && key.Hierarchy == hierarchy) Persistents.Remove(this, handle);
        if (hierarchy != (uint)TpmRh.Owner) return;
        foreach (var index in Nv.All.ToArray())
            if (!index.Attributes.Has(TpmaNv.PlatformCreate)) Nv.Remove(this, index);
    }
}
