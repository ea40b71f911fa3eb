using Ftpm.Marshal;

namespace Ftpm;

// Authenticated Countdown Timers (Part 1, 37 "Authenticated Countdown Timer"; the reference's ACT_spt.c and
// PlatformACT.c). Each implemented ACT counts seconds down from the value TPM2_ACT_SetTimeout gave it and,
// on reaching zero, asserts its signal to the platform until it is set again. The reference's platform
// ticks every ACT once a second; here the count is derived from the platform timer whenever it is looked
// at, which gives the same values without a thread. Its authValue is platformAuth (usable while phEnable is
// SET); its authPolicy is set by TPM2_SetPrimaryPolicy. ACT_0 and ACT_A are implemented, the reference's
// default set (TpmProfile_Common.h).
public sealed partial class Tpm
{
    /// <summary>One implemented ACT: the countdown (seconds left as of <see cref="AtMs"/> on the platform
    /// timer; 0 stopped, UINT32_MAX never counting), the signal, and its policy.</summary>
    sealed class ActState
    {
        public uint Remaining;
        public ulong AtMs;
        public bool Signaled;
        /// <summary>Set by ACT_SetTimeout since the last Startup: Shutdown(STATE) halves the count otherwise.</summary>
        public bool Updated;
        public byte[] Policy = [];
        public TpmAlgId PolicyAlg = TpmAlgId.Null;
    }

    readonly ActState?[] _acts = CreateActs(0x0, 0xA);

    /// <summary>The countdown runs from Startup on (the reference's _plat__ACT_EnableTicks).</summary>
    bool _actTicking;

    static ActState?[] CreateActs(params int[] implemented)
    {
        var acts = new ActState?[16];
        foreach (int n in implemented) acts[n] = new ActState();
        return acts;
    }

    ActState? ActOf(uint handle) =>
        handle is >= (uint)TpmRh.Act0 and <= (uint)TpmRh.ActF ? _acts[handle - (uint)TpmRh.Act0] : null;

    /// <summary>Whether <paramref name="handle"/> names an implemented ACT.</summary>
    internal bool IsActImplemented(uint handle) => ActOf(handle) is not null;

    /// <summary>The implemented ACT handles, ascending (TPM_CAP_HANDLES, TPM_CAP_ACT).</summary>
    internal IEnumerable<uint> ActHandles()
    {
        for (uint n = 0; n < 16; n++)
            if (_acts[n] is not null) yield return (uint)TpmRh.Act0 + n;
    }

    /// <summary>Brings the count up to the platform timer: whole seconds elapsed are taken off, and a count
    /// that reaches zero asserts the signal.</summary>
    void ActAdvance(ActState act)
    {
        ulong now = _platform.TimerMilliseconds;
        if (!_actTicking || act.Remaining is 0 or uint.MaxValue || now <= act.AtMs)
        {
            if (!_actTicking || act.Remaining is 0 or uint.MaxValue) act.AtMs = now;
            return;
        }
        ulong seconds = (now - act.AtMs) / 1000;
        if (seconds >= act.Remaining)
        {
            act.Remaining = 0;
            act.Signaled = true;
            act.AtMs = now;
            return;
        }
        act.Remaining -= (uint)seconds;
        act.AtMs += seconds * 1000;
    }

    /// <summary>The ACT's seconds left and whether it signals (TPMS_ACT_DATA; the platform's
    /// ACT_GET_SIGNALED).</summary>
    internal (uint Timeout, bool Signaled) ActGet(uint handle)
    {
        var act = ActOf(handle);
        if (act is null) return (0, false);
        ActAdvance(act);
        return (act.Remaining, act.Signaled);
    }

    /// <summary>Whether the ACT <paramref name="handle"/> is signaling: what the platform sees on the ACT's
    /// output (the simulator's ACT_GET_SIGNALED). False for an ACT that is not implemented or while the TPM is off.</summary>
    public bool ActGetSignaled(uint handle) => _poweredOn && ActGet(handle).Signaled;

    /// <summary>TPM2_ACT_SetTimeout's update (the reference's ActCounterUpdate with the platform's tick):
    /// a non-zero value restarts the countdown and ends the signal; zero stops a running countdown by
    /// letting it expire (it signals), and changes nothing on a stopped one.</summary>
    internal void ActSetTimeout(uint handle, uint startTimeout)
    {
        var act = ActOf(handle)!;
        ActAdvance(act);
        act.Updated = true;
        if (startTimeout == 0)
        {
            if (act.Remaining != 0)
            {
                act.Remaining = 0;
                act.Signaled = true;
            }
            return;
        }
        act.Remaining = startTimeout;
        act.AtMs = _platform.TimerMilliseconds;
        act.Signaled = false;
    }

    /// <summary>TPM2_SetPrimaryPolicy for an ACT handle.</summary>
    internal void ActSetPolicy(uint handle, byte[] policy, TpmAlgId hashAlg)
    {
        var act = ActOf(handle)!;
        act.Policy = policy;
        act.PolicyAlg = hashAlg;
    }

    /// <summary>The ACT's authPolicy and its hash (empty and TPM_ALG_NULL until SetPrimaryPolicy).</summary>
    internal ReadOnlySpan<byte> ActPolicy(uint handle, out TpmAlgId hashAlg)
    {
        var act = ActOf(handle);
        hashAlg = act?.PolicyAlg ?? TpmAlgId.Null;
        return act is null ? [] : act.Policy;
    }

    /// <summary>_TPM_Init: every ACT stopped and quiet, no ticks until Startup (_plat__ACT_Initialize).</summary>
    void ActInit()
    {
        _actTicking = false;
        foreach (var act in _acts)
            if (act is not null)
            {
                act.Remaining = 0;
                act.Signaled = false;
                act.Updated = false;
            }
    }

    /// <summary>What Shutdown(STATE) saved of one implemented ACT.</summary>
    readonly record struct SavedAct(uint Remaining, bool Signaled, TpmAlgId PolicyAlg, byte[] Policy);

    /// <summary>Reads the ACT part of a saved authorization record (<see cref="ActShutdownState"/>) without
    /// changing any ACT: one entry per implemented ACT, or none (a record from before ACTs). A policy is
    /// what TPM2_SetPrimaryPolicy could have set: TPM_ALG_NULL and empty, or a hash and a digest of its size.</summary>
    /// <exception cref="InvalidDataException">The record is malformed.</exception>
    SavedAct[] ParseActSaved(ref TpmReader saved)
    {
        if (!saved.HasData) return [];
        var entries = new List<SavedAct>();
        foreach (var act in _acts)
        {
            if (act is null) continue;
            State.PersistentData.Check(saved.ReadUInt32(out uint remaining));
            State.PersistentData.Check(saved.ReadUInt8(out byte signaled));
            State.PersistentData.Check(saved.ReadUInt16(out ushort alg));
            byte[] policy = State.PersistentData.ReadArray(ref saved);
            State.PersistentData.CheckPolicy((TpmAlgId)alg, policy, "saved ACT policy");
            entries.Add(new SavedAct(remaining, signaled != 0, (TpmAlgId)alg, policy));
        }
        return [.. entries];
    }

    /// <summary>The ACT part of TPM2_Startup (the reference's ActStartup): a Resume restarts each countdown
    /// that Shutdown(STATE) saved (<paramref name="saved"/>, from <see cref="ParseActSaved"/>), or the signal
    /// of one that had expired, and keeps the policies; a TPM Reset or Restart leaves every ACT stopped,
    /// quiet and without a policy.</summary>
    void ActStartup(bool resume, SavedAct[] saved)
    {
        ActInit();
        int n = 0;
        foreach (var act in _acts)
        {
            if (act is null) continue;
            var entry = n < saved.Length ? saved[n] : new SavedAct(0, false, TpmAlgId.Null, []);
            n++;
            if (resume)
            {
                act.Remaining = entry.Remaining;
                act.Signaled = entry.Remaining == 0 && entry.Signaled;
                act.Policy = entry.Policy;
                act.PolicyAlg = entry.PolicyAlg;
            }
            else
            {
                act.Policy = [];
                act.PolicyAlg = TpmAlgId.Null;
            }
        }
        _actTicking = true;
        ulong now = _platform.TimerMilliseconds;
        foreach (var act in _acts)
            if (act is not null) act.AtMs = now;
    }

    /// <summary>The ACT part of TPM2_Shutdown(STATE) (the reference's ActShutdown): each count, halved when
    /// ACT_SetTimeout did not set it since Startup (so that saving state early gains no time), the signal
    /// and the policy. A host's volatile-state save (<paramref name="halve"/> false) keeps the count whole.</summary>
    void ActShutdownState(ref TpmWriter w, bool halve)
    {
        foreach (var act in _acts)
        {
            if (act is null) continue;
            ActAdvance(act);
            uint remaining = act.Remaining;
            if (halve && !act.Updated && remaining != uint.MaxValue && remaining > 1) remaining /= 2;
            w.WriteUInt32(remaining);
            w.WriteUInt8(act.Signaled ? (byte)1 : (byte)0);
            w.WriteUInt16((ushort)act.PolicyAlg);
            w.WriteSized(act.Policy);
        }
    }

    /// <summary>What <see cref="ActShutdownState"/> writes at most.</summary>
    const int ActSavedSize = 16 * (4 + 1 + 2 + 2 + TpmLimits.MaxDigestSize);
}
