using System.Buffers.Binary;

namespace Ftpm.Interop.Tests;

/// <summary>Builds a command's parameter area and remembers where its size fields and algorithm
/// selectors are, so that mutations can aim at them.</summary>
internal sealed class Params
{
    readonly List<byte> _bytes = new();
    public readonly List<int> Sizes = new();
    public readonly List<int> Selectors = new();

    public byte[] Bytes => _bytes.ToArray();

    public Params U8(byte v) { _bytes.Add(v); return this; }
    public Params U16(ushort v) { _bytes.Add((byte)(v >> 8)); _bytes.Add((byte)v); return this; }
    public Params U32(uint v) { U16((ushort)(v >> 16)); return U16((ushort)v); }
    public Params U64(ulong v) { U32((uint)(v >> 32)); return U32((uint)v); }
    public Params Raw(byte[] v) { _bytes.AddRange(v); return this; }

    /// <summary>A TPM_ALG_ID the command selects a union arm or algorithm with.</summary>
    public Params Alg(ushort alg) { Selectors.Add(_bytes.Count); return U16(alg); }

    /// <summary>A TPM2B: size then bytes.</summary>
    public Params Sized(byte[] v) { Sizes.Add(_bytes.Count); U16((ushort)v.Length); return Raw(v); }

    /// <summary>A TPM2B holding a structure built by <paramref name="inner"/> (its fields stay targets).</summary>
    public Params Sized(Action<Params> inner)
    {
        int at = _bytes.Count;
        Sizes.Add(at);
        U16(0);
        int start = _bytes.Count;
        inner(this);
        int length = _bytes.Count - start;
        _bytes[at] = (byte)(length >> 8);
        _bytes[at + 1] = (byte)length;
        return this;
    }
}

/// <summary>A well-formed command the corpus starts from: code, handles (with how many need a password
/// session), parameters; <see cref="Cleanup"/> undoes what it may create.</summary>
internal sealed record Seed(string Name, uint Code, uint[] Handles, int Auths, Params Parameters, bool ReturnsHandle = false,
    Func<uint, byte[]?>? Cleanup = null);

/// <summary>One corpus entry: a stable id (seed, mutation, index), the command bytes, and the cleanup that
/// follows it on each TPM.</summary>
internal sealed record Case(string Id, byte[] Command, Seed Seed);

/// <summary>
/// The seeded generator of malformed commands: each seed is sent as is and mutated: parameters cut short,
/// TPM2B sizes off by one, zero or 0xFFFF, algorithm selectors replaced by values that are not members of
/// their type, handles replaced by handles of every range, tags swapped or invalid, bytes added at the
/// end, commandSize wrong, command codes unknown, and the authorization area broken (its size, the
/// session handle, nonce and HMAC sizes, attribute bits, sessions missing or extra).
/// </summary>
internal static class DifferentialCorpus
{
    public const uint Owner = 0x40000001, Endorsement = 0x4000000B, Platform = 0x4000000C, NullHierarchy = 0x40000007;
    public const uint Pw = 0x40000009;
    public const uint NvIndex = 0x01500010, NvDefined = 0x01500020;

    // TPM_ALG_ID values.
    const ushort Rsa = 0x0001, Sha1 = 0x0004, Hmac = 0x0005, Aes = 0x0006, KeyedHash = 0x0008, Sha256 = 0x000B,
        Null = 0x0010, RsaSsa = 0x0014, EcDsa = 0x0018, Ecc = 0x0023, SymCipher = 0x0025, Cfb = 0x0043;

    /// <summary>ECC P-256 storage key: fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|noDA|restricted|decrypt, AES-128-CFB.</summary>
    public static void EccStorage(Params p) => p.Alg(Ecc).Alg(Sha256).U32(0x00030472).Sized([])
        .Alg(Aes).U16(128).Alg(Cfb).Alg(Null).U16(0x0003).Alg(Null).Sized([]).Sized([]);

    /// <summary>ECDSA-SHA256 P-256 signing key with noDA.</summary>
    public static void EccSigning(Params p) => p.Alg(Ecc).Alg(Sha256).U32(0x00040472).Sized([])
        .Alg(Null).Alg(EcDsa).Alg(Sha256).U16(0x0003).Alg(Null).Sized([]).Sized([]);

    static void HmacKey(Params p) => p.Alg(KeyedHash).Alg(Sha256).U32(0x00040472).Sized([]).Alg(Hmac).Alg(Sha256).Sized([]);

    static void Aes128(Params p) => p.Alg(SymCipher).Alg(Sha256).U32(0x00060472).Sized([]).Alg(Aes).U16(128).Alg(Cfb).Sized([]);

    static void Sealed(Params p) => p.Alg(KeyedHash).Alg(Sha256).U32(0x00000452).Sized([]).Alg(Null).Sized([]);

    static Params P() => new();

    static byte[] Flush(uint handle) => Build(0x8001, 0x165, [], 0, P().U32(handle).Bytes);

    /// <summary>The seeds, for a TPM holding a storage primary <paramref name="storage"/> and an ECDSA
    /// primary <paramref name="signing"/> (both noDA, empty authValue), an owner index
    /// <see cref="NvIndex"/> of 8 bytes (written), a policy session <paramref name="policy"/>, and the public
    /// area <paramref name="storagePublic"/>.</summary>
    public static Seed[] Seeds(uint storage, uint signing, uint policy, byte[] storagePublic, byte[] signingName) =>
    [
        new("GetCapability.algs", 0x17A, [], 0, P().U32(0).U32(1).U32(20)),
        new("GetCapability.handles", 0x17A, [], 0, P().U32(1).U32(0x80000000).U32(8)),
        new("GetCapability.properties", 0x17A, [], 0, P().U32(6).U32(0x100).U32(8)),
        new("GetCapability.pcrs", 0x17A, [], 0, P().U32(5).U32(0).U32(1)),
        new("GetRandom", 0x17B, [], 0, P().U16(16)),
        new("StirRandom", 0x146, [], 0, P().Sized([1, 2, 3, 4, 5, 6, 7, 8])),
        new("PCR_Read", 0x17E, [], 0, P().U32(1).Alg(Sha256).U8(3).Raw([7, 0, 0])),
        new("PCR_Extend", 0x182, [16], 1, P().U32(1).Alg(Sha256).Raw(new byte[32])),
        new("PCR_Event", 0x13C, [16], 1, P().Sized([1, 2, 3])),
        new("PCR_Reset", 0x13D, [16], 1, P()),
        new("ReadPublic", 0x173, [storage], 0, P()),
        new("Sign", 0x15D, [signing], 1, P().Sized(new byte[32]).Alg(EcDsa).Alg(Sha256).U16(0x8024).U32(NullHierarchy).Sized([])),
        new("VerifySignature", 0x177, [signing], 0, P().Sized(new byte[32]).Alg(EcDsa).Alg(Sha256).Sized(new byte[32]).Sized(new byte[32])),
        new("Hash", 0x17D, [], 0, P().Sized([1, 2, 3]).Alg(Sha256).U32(Owner)),
        new("Create", 0x153, [storage], 1, P().Sized(s => s.Sized([]).Sized([])).Sized(EccSigning).Sized([]).U32(0)),
        new("Create.sealed", 0x153, [storage], 1, P().Sized(s => s.Sized([1]).Sized([9, 9])).Sized(Sealed).Sized([]).U32(1).Alg(Sha256).U8(3).Raw([1, 0, 0])),
        new("CreatePrimary.hmac", 0x131, [NullHierarchy], 1, P().Sized(s => s.Sized([]).Sized([])).Sized(HmacKey).Sized([]).U32(0), true, Flush),
        new("CreatePrimary.aes", 0x131, [Owner], 1, P().Sized(s => s.Sized([]).Sized([])).Sized(Aes128).Sized([]).U32(0), true, Flush),
        new("CreateLoaded.hmac", 0x191, [storage], 1, P().Sized(s => s.Sized([]).Sized([])).Sized(HmacKey), true, Flush),
        new("StartAuthSession.hmac", 0x176, [0x40000007, 0x40000007], 0,
            P().Sized(new byte[16]).Sized([]).U8(0).Alg(Null).Alg(Sha256), true, Flush),
        new("StartAuthSession.policy", 0x176, [0x40000007, 0x40000007], 0,
            P().Sized(new byte[32]).Sized([]).U8(1).Alg(Aes).U16(128).Alg(Cfb).Alg(Sha256), true, Flush),
        new("TestParms.ecc", 0x18A, [], 0, P().Alg(Ecc).Alg(Null).Alg(EcDsa).Alg(Sha256).U16(3).Alg(Null)),
        new("TestParms.rsa", 0x18A, [], 0, P().Alg(Rsa).Alg(Null).Alg(RsaSsa).Alg(Sha256).U16(2048).U32(0)),
        new("TestParms.sym", 0x18A, [], 0, P().Alg(SymCipher).Alg(Aes).U16(128).Alg(Cfb)),
        new("NV_ReadPublic", 0x169, [NvIndex], 0, P()),
        new("NV_Read", 0x14E, [Owner, NvIndex], 1, P().U16(8).U16(0)),
        new("NV_Write", 0x137, [Owner, NvIndex], 1, P().Sized([1, 2, 3, 4]).U16(2)),
        new("NV_DefineSpace", 0x12A, [Owner], 1, P().Sized([]).Sized(n => n.U32(NvDefined).Alg(Sha256).U32(0x00060006 | 0x02000000).Sized([]).U16(16)),
            Cleanup: _ => Build(0x8002, 0x122, [Owner, NvDefined], 1, [])),
        new("ReadClock", 0x181, [], 0, P()),
        new("GetTestResult", 0x17C, [], 0, P()),
        new("SelfTest", 0x143, [], 0, P().U8(1)),
        new("IncrementalSelfTest", 0x142, [], 0, P().U32(2).Alg(Sha256).Alg(Aes)),
        new("ECDH_KeyGen", 0x163, [storage], 0, P()),
        new("ECDH_ZGen", 0x154, [storage], 1, P().Sized(s => s.Sized(new byte[32]).Sized(new byte[32]))),
        new("ECC_Parameters", 0x178, [], 0, P().U16(3)),
        new("ContextSave", 0x162, [storage], 0, P()),
        new("LoadExternal", 0x167, [], 0, P().Sized([]).Raw(storagePublic).U32(Owner), true, Flush),
        new("HashSequenceStart", 0x186, [], 0, P().Sized([1]).Alg(Sha256), true, Flush),
        new("Unseal", 0x15E, [storage], 1, P()),
        new("RSA_Encrypt", 0x174, [storage], 0, P().Sized([1]).Alg(Null).Sized([])),
        new("ClockRateAdjust", 0x130, [Owner], 1, P().U8(0)),
        new("FlushContext", 0x165, [], 0, P().U32(0x02FFFFFE)),
        new("Startup", 0x144, [], 0, P().U16(0)),
        new("EncryptDecrypt", 0x164, [storage], 1, P().U8(0).Alg(Cfb).Sized(new byte[16]).Sized(new byte[16])),
        new("PolicyRestart", 0x180, [0x03000000], 0, P()),
        new("ObjectChangeAuth", 0x150, [signing, storage], 1, P().Sized([1])),
        new("Load", 0x157, [storage], 1, P().Sized(new byte[40]).Sized(EccSigning)),
        new("EvictControl.absent", 0x120, [Owner, 0x81000100], 1, P().U32(0x81000100)),
        new("HierarchyControl.absent", 0x121, [Owner], 1, P().U32(0x40000001).U8(1)),
        new("SetCommandCodeAuditStatus.none", 0x140, [Owner], 1, P().Alg(Null).U32(0).U32(0)),
        new("PolicyGetDigest.absent", 0x189, [0x03000001], 0, P()),
        new("NV_Increment.ordinary", 0x134, [Owner, NvIndex], 1, P()),
        new("MAC.keyless", 0x155, [signing], 1, P().Sized([1]).Alg(Sha256)),
        new("MAC_Start.keyless", 0x15B, [signing], 1, P().Sized([]).Alg(Sha256), true, Flush),
        new("GetCapability.commands", 0x17A, [], 0, P().U32(2).U32(0x11F).U32(4)),
        new("GetCapability.bad", 0x17A, [], 0, P().U32(0x0B).U32(0).U32(1)),
        new("GetCapability.curves", 0x17A, [], 0, P().U32(8).U32(0).U32(4)),
        new("Hash.null", 0x17D, [], 0, P().Sized(new byte[64]).Alg(Sha1).U32(NullHierarchy)),
        new("PolicyCommandCode", 0x16C, [policy], 0, P().U32(0x15D)),
        new("PolicyAuthValue", 0x16B, [policy], 0, P()),
        new("PolicyPassword", 0x18C, [policy], 0, P()),
        new("PolicyGetDigest", 0x189, [policy], 0, P()),
        new("PolicyPCR", 0x17F, [policy], 0, P().Sized([]).U32(1).Alg(Sha256).U8(3).Raw([1, 0, 0])),
        new("PolicyOR", 0x171, [policy], 0, P().U32(2).Sized(new byte[32]).Sized(new byte[32])),
        new("PolicyLocality", 0x16F, [policy], 0, P().U8(1)),
        new("PolicySecret", 0x151, [Owner, policy], 1, P().Sized([]).Sized([]).Sized([]).U32(0)),
        new("PolicyNV", 0x149, [Owner, NvIndex, policy], 1, P().Sized([0, 0]).U16(0).U16(0)),
        new("PolicyCounterTimer", 0x16D, [policy], 0, P().Sized([0]).U16(0).U16(0)),
        new("PolicyCpHash", 0x16E, [policy], 0, P().Sized(new byte[32])),
        new("PolicyNameHash", 0x170, [policy], 0, P().Sized(new byte[32])),
        new("PolicyDuplicationSelect", 0x188, [policy], 0, P().Sized([]).Sized(new byte[34]).U8(0)),
        new("PolicyAuthorize", 0x16A, [policy], 0, P().Sized(new byte[32]).Sized([]).Sized(signingName).U16(0x8022).U32(Owner).Sized([])),
        new("PolicyTicket", 0x172, [policy], 0, P().Sized([]).Sized([]).Sized([]).Sized(signingName).U16(0x8025).U32(Owner).Sized([])),
        new("PolicySigned", 0x160, [signing, policy], 0, P().Sized([]).Sized([]).Sized([]).U32(0).Alg(EcDsa).Alg(Sha256).Sized(new byte[32]).Sized(new byte[32])),
        new("PolicyNvWritten", 0x18F, [policy], 0, P().U8(1)),
        new("PolicyTemplate", 0x190, [policy], 0, P().Sized(new byte[32])),
        new("PolicyPhysicalPresence", 0x187, [policy], 0, P()),
        new("NV_ReadLock.ordinary", 0x14F, [Owner, NvIndex], 1, P()),
        new("NV_WriteLock.ordinary", 0x138, [Owner, NvIndex], 1, P()),
        new("NV_Extend.ordinary", 0x136, [Owner, NvIndex], 1, P().Sized([1])),
        new("NV_SetBits.ordinary", 0x135, [Owner, NvIndex], 1, P().U64(1)),
        new("NV_ChangeAuth", 0x13B, [NvIndex], 1, P().Sized([1])),
        new("NV_UndefineSpaceSpecial", 0x11F, [NvIndex, Platform], 2, P()),
        new("NV_DefineSpace.counter", 0x12A, [Owner], 1, P().Sized([1, 2]).Sized(n => n.U32(NvDefined).Alg(Sha256).U32(0x00060016 | 0x02000000).Sized(new byte[32]).U16(8)),
            Cleanup: _ => Build(0x8002, 0x122, [Owner, NvDefined], 1, [])),
        new("ClockSet", 0x128, [Owner], 1, P().U64(0x0000_1000_0000_0000)),
        new("ContextLoad.garbage", 0x161, [], 0, P().U64(1).U32(0x80000000).U32(Owner).Sized(new byte[64]), true, Flush),
        new("EC_Ephemeral", 0x18E, [], 0, P().U16(3)),
        new("ZGen_2Phase", 0x18D, [storage], 1, P().Sized(s => s.Sized(new byte[32]).Sized(new byte[32])).Sized(s => s.Sized(new byte[32]).Sized(new byte[32])).Alg(0x0019).U16(0)),
        new("SequenceUpdate.absent", 0x15C, [0x80000002], 1, P().Sized([1])),
        new("PP_Commands", 0x12D, [Platform], 1, P().U32(0).U32(0)),
        new("SetPrimaryPolicy", 0x12E, [Owner], 1, P().Sized([]).Alg(Null)),
        new("PCR_SetAuthValue", 0x183, [16], 1, P().Sized([1])),
        new("RSA_Decrypt", 0x159, [storage], 1, P().Sized([1]).Alg(Null).Sized([])),
        new("Create.rsa-odd", 0x153, [storage], 1, P().Sized(s => s.Sized([]).Sized([])).Sized(t => t.Alg(Rsa).Alg(Sha256).U32(0x00040472).Sized([])
            .Alg(Null).Alg(RsaSsa).Alg(Sha256).U16(1024).U32(3).Sized([])).Sized([]).U32(0)),
        new("Create.symcipher-given", 0x153, [storage], 1, P().Sized(s => s.Sized([]).Sized(new byte[16])).Sized(t => t.Alg(SymCipher).Alg(Sha256).U32(0x00060452).Sized([])
            .Alg(Aes).U16(128).Alg(Cfb).Sized([])).Sized([]).U32(0)),
    ];

    /// <summary>A command: header, handles, an authorization area of <paramref name="auths"/> empty password
    /// sessions (tag TPM_ST_SESSIONS when there is one), parameters.</summary>
    public static byte[] Build(ushort tag, uint code, uint[] handles, int auths, byte[] parameters, byte[]? authArea = null)
    {
        var body = new List<byte>();
        foreach (var h in handles) body.AddRange(U32(h));
        if (tag == 0x8002)
        {
            var area = authArea ?? Enumerable.Range(0, auths).SelectMany(_ => PasswordSession()).ToArray();
            body.AddRange(U32((uint)area.Length));
            body.AddRange(area);
        }
        body.AddRange(parameters);
        return [.. U16(tag), .. U32((uint)(10 + body.Count)), .. U32(code), .. body];
    }

    static byte[] PasswordSession(byte attributes = 1, byte[]? hmac = null, uint handle = Pw, byte[]? nonce = null) =>
        [.. U32(handle), .. U16((ushort)(nonce?.Length ?? 0)), .. nonce ?? [], attributes, .. U16((ushort)(hmac?.Length ?? 0)), .. hmac ?? []];

    static byte[] U16(ushort v) { var b = new byte[2]; BinaryPrimitives.WriteUInt16BigEndian(b, v); return b; }
    static byte[] U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, v); return b; }

    static readonly uint[] HandleValues =
    [
        0x00000000, 0x00000010, 0x00000017, 0x00000018, 0x000000FF, 0x00FFFFFF,       // PCR
        0x01000000, 0x01500010, 0x01FFFFFF, 0x01C00002,                                // NV
        0x02000000, 0x02FFFFFF, 0x03000000, 0x03FFFFFF,                                // sessions
        0x40000000, 0x40000001, 0x40000007, 0x40000009, 0x4000000A, 0x4000000B, 0x4000000C, 0x4000000D,
        0x40000010, 0x40000011, 0x40000100, 0x40000110, 0x4000011F, 0x40FFFFFF,       // permanent
        0x80000000, 0x80000001, 0x80000002, 0x80000010, 0x80FFFFFF,                    // transient
        0x81000000, 0x81000001, 0x81800001, 0x81FFFFFF,                                // persistent
        0x90000000, 0xC0000000, 0xFFFFFFFF, 0x20000000,                                // other ranges
    ];

    static readonly ushort[] BadAlgs = [0x0000, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x000A, 0x0010, 0x0012, 0x0013,
        0x0027, 0x0029, 0x0041, 0x0044, 0x00FF, 0x7FFF, 0xFFFF, 0x0001, 0x0023, 0x0025, 0x0008, 0x0014, 0x0018, 0x000C];

    static readonly ushort[] BadTags = [0x0000, 0x00C4, 0x8000, 0x8003, 0x8014, 0x8021, 0x8024, 0xFFFF];

    /// <summary>The corpus: every seed as is, then <paramref name="perSeed"/> mutations of each, from one seed.</summary>
    public static List<Case> Generate(Seed[] seeds, int perSeed, int randomSeed)
    {
        var random = new Random(randomSeed);
        var cases = new List<Case>();
        // A tag other than the two command tags is refused before the command code is read, so its
        // answer cannot depend on the command: each such value is sent once, not with every seed (the
        // mutation is still drawn, so the other cases keep their ids).
        var badTagsSent = new HashSet<ushort>();
        foreach (var seed in seeds)
        {
            cases.Add(new Case($"{seed.Name}/valid", Valid(seed), seed));
            for (int i = 0; i < perSeed; i++)
            {
                var (kind, bytes) = Mutate(seed, random);
                ushort headerTag = BinaryPrimitives.ReadUInt16BigEndian(bytes);
                if (kind == "tag" && headerTag is not (0x8001 or 0x8002) && !badTagsSent.Add(headerTag)) continue;
                cases.Add(new Case($"{seed.Name}/{kind}@{i}", bytes, seed));
            }
        }
        return cases;
    }

    static byte[] Valid(Seed s) => Build(s.Auths > 0 ? (ushort)0x8002 : (ushort)0x8001, s.Code, s.Handles, s.Auths, s.Parameters.Bytes);

    static (string Kind, byte[] Bytes) Mutate(Seed s, Random r)
    {
        var parameters = s.Parameters.Bytes;
        ushort tag = s.Auths > 0 ? (ushort)0x8002 : (ushort)0x8001;
        for (int attempt = 0; ; attempt++)
        {
            switch (r.Next(11))
            {
                case 0 when parameters.Length > 0:
                    return ("truncated", Build(tag, s.Code, s.Handles, s.Auths, parameters[..r.Next(parameters.Length)]));
                case 1 when s.Parameters.Sizes.Count > 0:
                {
                    var p = (byte[])parameters.Clone();
                    int at = s.Parameters.Sizes[r.Next(s.Parameters.Sizes.Count)];
                    ushort v = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(at));
                    ushort[] choices = [(ushort)(v + 1), (ushort)(v - 1), 0xFFFF, 0, (ushort)(v + 2)];
                    var chosen = choices[r.Next(choices.Length)];
                    if (chosen == v) continue;
                    BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(at), chosen);
                    return ("size", Build(tag, s.Code, s.Handles, s.Auths, p));
                }
                case 2 when s.Parameters.Selectors.Count > 0:
                {
                    var p = (byte[])parameters.Clone();
                    int at = s.Parameters.Selectors[r.Next(s.Parameters.Selectors.Count)];
                    ushort v = BadAlgs[r.Next(BadAlgs.Length)];
                    if (BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(at)) == v) continue;
                    BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(at), v);
                    return ("selector", Build(tag, s.Code, s.Handles, s.Auths, p));
                }
                case 3 when s.Handles.Length > 0:
                {
                    var handles = (uint[])s.Handles.Clone();
                    handles[r.Next(handles.Length)] = HandleValues[r.Next(HandleValues.Length)];
                    return ("handle", Build(tag, s.Code, handles, s.Auths, parameters));
                }
                case 4:
                {
                    ushort other = r.Next(3) == 0 ? (tag == 0x8001 ? (ushort)0x8002 : (ushort)0x8001) : BadTags[r.Next(BadTags.Length)];
                    var bytes = Build(tag, s.Code, s.Handles, s.Auths, parameters);
                    BinaryPrimitives.WriteUInt16BigEndian(bytes, other);
                    return ("tag", bytes);
                }
                case 5:
                {
                    var extra = new byte[1 + r.Next(4)];
                    r.NextBytes(extra);
                    return ("trailing", Build(tag, s.Code, s.Handles, s.Auths, [.. parameters, .. extra]));
                }
                case 6:
                {
                    var bytes = Build(tag, s.Code, s.Handles, s.Auths, parameters);
                    int delta = r.Next(2) == 0 ? 1 : -1;
                    BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(2), (uint)(bytes.Length + delta));
                    return ("commandSize", bytes);
                }
                case 7:
                {
                    uint[] codes = [0x0000011E, 0x00000100, 0x000001FF, 0x2000FFFF, 0x0000FFFF, 0x00000192];
                    return ("code", Build(tag, codes[r.Next(codes.Length)], s.Handles, s.Auths, parameters));
                }
                case 8 or 9 or 10:
                    return ("session", BadSessions(s, r, parameters));
            }
            if (attempt > 50) return ("trailing", Build(tag, s.Code, s.Handles, s.Auths, [.. parameters, 0]));
        }
    }

    /// <summary>The authorization area broken in one way.</summary>
    static byte[] BadSessions(Seed s, Random r, byte[] parameters)
    {
        int n = Math.Max(s.Auths, 1);
        byte[] Area(Func<int, byte[]> session) => Enumerable.Range(0, n).SelectMany(session).ToArray();
        int which = r.Next(n);
        byte[] Good(int i) => PasswordSession();
        switch (r.Next(12))
        {
            case 0: // authorizationSize below the minimum, or past the end
            {
                var bytes = Build(0x8002, s.Code, s.Handles, n, parameters);
                uint[] sizes = [0, 8, 10, (uint)(bytes.Length), 0xFFFFFFFF, (uint)(9 * n + 1), (uint)(9 * n - 1)];
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(10 + 4 * s.Handles.Length), sizes[r.Next(sizes.Length)]);
                return bytes;
            }
            case 1: // a session handle that is no session, or a session not loaded
            {
                uint[] handles = [0x02000000, 0x03000000, 0x02FFFFFF, 0x40000001, 0x40000007, 0x80000000, 0x00000000, 0x4000000A, 0x01000000];
                uint h = handles[r.Next(handles.Length)];
                return Build(0x8002, s.Code, s.Handles, n, parameters, Area(i => i == which ? PasswordSession(handle: h) : Good(i)));
            }
            case 2: // a password session with a nonce
                return Build(0x8002, s.Code, s.Handles, n, parameters, Area(i => i == which ? PasswordSession(nonce: new byte[16]) : Good(i)));
            case 3: // reserved, audit, encrypt/decrypt attributes on a password session
            {
                byte[] attributes = [0x00, 0x18, 0x80, 0x40, 0x20, 0x04, 0x02, 0xFF];
                byte a = attributes[r.Next(attributes.Length)];
                return Build(0x8002, s.Code, s.Handles, n, parameters, Area(i => i == which ? PasswordSession(attributes: a) : Good(i)));
            }
            case 4: // a wrong password (every entity here is exempt from dictionary-attack counting)
                return Build(0x8002, s.Code, s.Handles, n, parameters, Area(i => i == which ? PasswordSession(hmac: [1, 2, 3]) : Good(i)));
            case 5: // an HMAC field longer than any digest
                return Build(0x8002, s.Code, s.Handles, n, parameters, Area(i => i == which ? PasswordSession(hmac: new byte[65]) : Good(i)));
            case 6: // one session fewer than the handles need
                return s.Auths > 0
                    ? Build(0x8002, s.Code, s.Handles, s.Auths - 1, parameters, Area(i => i < s.Auths - 1 ? Good(i) : []))
                    : Build(0x8002, s.Code, s.Handles, 1, parameters);
            case 7: // one session more, or four sessions
                return Build(0x8002, s.Code, s.Handles, 0, parameters,
                    Enumerable.Range(0, r.Next(2) == 0 ? n + 1 : 4).SelectMany(i => Good(i)).ToArray());
            case 8: // a nonce size past the area
            {
                var session = PasswordSession();
                BinaryPrimitives.WriteUInt16BigEndian(session.AsSpan(4), r.Next(2) == 0 ? (ushort)0xFFFF : (ushort)1);
                return Build(0x8002, s.Code, s.Handles, n, parameters, Area(i => i == which ? session : Good(i)));
            }
            case 9: // an HMAC size past the area
            {
                var session = PasswordSession();
                BinaryPrimitives.WriteUInt16BigEndian(session.AsSpan(7), r.Next(2) == 0 ? (ushort)0xFFFF : (ushort)1);
                return Build(0x8002, s.Code, s.Handles, n, parameters, Area(i => i == which ? session : Good(i)));
            }
            case 10: // no sessions at all where some are needed
                return Build(0x8001, s.Code, s.Handles, 0, parameters);
            default: // the same session twice
                return Build(0x8002, s.Code, s.Handles, 0, parameters, [.. PasswordSession(), .. PasswordSession(), .. Area(Good)]);
        }
    }
}
