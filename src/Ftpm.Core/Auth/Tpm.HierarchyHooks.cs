namespace Ftpm;

// What hierarchy administration (Commands/Hierarchy.cs) needs from objects and NV indices, for the
// keys issue (issue 3) and the NV issue (issue 5) to fill in. Both run inside the command's NV
// transaction: stage removals with StageRecord.
public sealed partial class Tpm
{
    /// <summary>Flushes the loaded (transient) objects of a hierarchy: HierarchyControl disabling it,
    /// ChangePPS, ChangeEPS and Clear (the reference's ObjectFlushHierarchy). Keys issue: remove transient
    /// objects whose hierarchy is <paramref name="hierarchy"/>, and forget primary keys cached from a seed
    /// that ChangePPS/ChangeEPS/Clear replaced. Hash sequences belong to no hierarchy and stay.</summary>
    internal void FlushHierarchyObjects(uint hierarchy)
    {
    }

    /// <summary>Removes what NV holds for a hierarchy (the reference's NvFlushHierarchy): persistent objects
    /// of that hierarchy (keys issue) and, for TPM_RH_OWNER (Clear), every NV index without
    /// TPMA_NV_PLATFORMCREATE (NV issue).</summary>
    internal void FlushHierarchyNv(uint hierarchy)
    {
    }
}
