using Ftpm.Marshal;
using static Ftpm.Tests.Commands.Nv;

namespace Ftpm.Tests.Commands;

/// <summary>"No exception escapes a handler for any input": random parameter areas and random
/// TPMS_NV_PUBLIC contents against every NV command never put the TPM into failure mode.</summary>
public class NvStorageFuzzTests
{
    static readonly TpmCc[] Codes =
    [
        TpmCc.NvDefineSpace, TpmCc.NvUndefineSpace, TpmCc.NvReadPublic, TpmCc.NvWrite, TpmCc.NvIncrement,
        TpmCc.NvExtend, TpmCc.NvSetBits, TpmCc.NvWriteLock, TpmCc.NvGlobalWriteLock, TpmCc.NvRead, TpmCc.NvReadLock,
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_parameters_never_cause_failure_mode(int seed)
    {
        var random = new Random(seed);
        var host = new TpmTestHost();
        uint[] indices = [0x01000001, 0x01000002, 0x01000003, 0x01000004, 0x01000005];
        DefineOk(host, indices[0], OwnerRw, 64);
        DefineOk(host, indices[1], OwnerRw.WithType(TpmNt.Counter) | TpmaNv.Orderly, 8);
        DefineOk(host, indices[2], OwnerRw.WithType(TpmNt.Bits) | TpmaNv.GlobalLock, 8);
        DefineOk(host, indices[3], OwnerRw.WithType(TpmNt.Extend) | TpmaNv.ReadStClear | TpmaNv.WriteStClear, 32);
        DefineOk(host, indices[4], OwnerRw.WithType(TpmNt.PinFail) | TpmaNv.NoDa | TpmaNv.AuthRead, 8);
        var seen = new HashSet<TpmRc>();

        for (int i = 0; i < 1500; i++)
        {
            var code = Codes[random.Next(Codes.Length)];
            var info = Ftpm.Dispatch.CommandTable.Find(code)!;
            var handles = info.Handles.Select(h => h.Kinds.HasFlag(Ftpm.Dispatch.HandleKinds.Owner) && random.Next(3) == 0
                ? (random.Next(2) == 0 ? Owner : Platform)
                : indices[random.Next(indices.Length)]).ToArray();
            if (info.Handles.Length > 0 && !info.Handles[0].Kinds.HasFlag(Ftpm.Dispatch.HandleKinds.NvIndex))
                handles[0] = random.Next(2) == 0 ? Owner : Platform;
            byte[] parameters = code == TpmCc.NvDefineSpace && random.Next(2) == 0
                ? RandomDefine(random)
                : RandomBytes(random, random.Next(0, 48));
            var r = info.AuthCount == 0
                ? host.Run(code, parameters, handles)
                : host.RunWithPasswords(code, handles, Enumerable.Repeat(Array.Empty<byte>(), info.AuthCount).ToArray(), parameters);
            seen.Add(r.Rc);
            Assert.NotEqual(TpmRc.Failure, r.Rc);
            Assert.False(host.Tpm.InFailureMode, $"{code} with {Convert.ToHexString(parameters)}");
            if (random.Next(200) == 0) host = PowerLoss(host);   // startup rules over whatever state resulted
        }
        Assert.True(seen.Count > 10, string.Join(", ", seen));
    }

    static byte[] RandomBytes(Random random, int n)
    {
        var b = new byte[n];
        random.NextBytes(b);
        return b;
    }

    /// <summary>A well-formed NV_DefineSpace parameter area with random attributes, sizes and policy.</summary>
    static byte[] RandomDefine(Random random)
    {
        var attributes = (TpmaNv)(uint)random.NextInt64(0, 1L << 32) & ~TpmaNv.Reserved;
        ushort size = (ushort)(random.Next(4) switch { 0 => 8, 1 => 32, 2 => random.Next(0, 2100), _ => random.Next(0, 40) });
        var alg = random.Next(3) switch { 0 => TpmAlgId.Sha1, 1 => TpmAlgId.Sha256, _ => TpmAlgId.Sha512 };
        var policy = random.Next(3) == 0 ? RandomBytes(random, random.Next(0, 65)) : [];
        var auth = RandomBytes(random, random.Next(0, 65));
        uint handle = 0x01000000u + (uint)random.Next(0, 16);
        return Cmd.Cat(Cmd.Sized(auth), Cmd.Sized(Public(handle, attributes, size, alg, policy)));
    }
}
