using System.Buffers.Binary;

namespace Ftpm.Tests.Commands;

/// <summary>
/// "Bad input gets the spec's code and never a crash": valid parameter areas of the object and
/// cryptographic commands (Sign, VerifySignature, RSA_Encrypt/Decrypt, ECDH, ECC_Parameters,
/// EC_Ephemeral, Commit, ZGen_2Phase, EncryptDecrypt2, HMAC/MAC, MAC_Start, Create, CreateLoaded under
/// storage and derivation parents, Load, LoadExternal, ContextLoad, TestParms) are mutated — bits
/// flipped, octets overwritten, size fields replaced, the area cut short or extended — and sent to a TPM
/// holding one persistent key of every kind. No mutation may put the TPM into failure mode (an
/// exception escaped a handler), and the keys must still work afterwards.
/// </summary>
public sealed class KeyCommandFuzzTests
{
    const uint Owner = 0x40000001, Null = 0x40000007;
    const uint Srk = 0x81000001, Ecdsa = 0x81000002, Rsa = 0x81000003, Hmac = 0x81000004, Aes = 0x81000005,
        Ecdaa = 0x81000006, Ecdh = 0x81000007, Derivation = 0x81000008, Cmac = 0x81000009;

    static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));
    static byte[] Sensitive(byte[]? data = null) => Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized(data ?? [])));

    // TPMT_PUBLIC templates, all fixedTPM|fixedParent|userWithAuth|noDA (and sensitiveDataOrigin where the TPM makes the secret).
    const string EccStorage = "0023 000B 00030472 0000 0006 0080 0043 0010 0003 0010 0000 0000";
    const string EcdsaKey = "0023 000B 00040472 0000 0010 0018 000B 0003 0010 0000 0000";
    const string RsaKey = "0001 000B 00060472 0000 0010 0010 0800 00000000 0000";   // sign|decrypt, no scheme
    const string HmacKey = "0008 000B 00040472 0000 0005 000B 0000";
    const string AesKey = "0025 000B 00060472 0000 0006 0080 0043 0000";
    const string EcdaaKey = "0023 000B 00040472 0000 0010 001A 000B 0000 0003 0010 0000 0000";
    const string EcdhKey = "0023 000B 00020472 0000 0010 0019 000B 0003 0010 0000 0000";
    const string DerivationParent = "0008 000B 00030472 0000 000A 000B 0022 0000";
    const string CmacKey = "0025 000B 00040452 0000 0006 0080 003F 0000";              // caller's key: no sensitiveDataOrigin

    // The P-256 generator, a point every ECC command accepts.
    static readonly byte[] Gx = H("6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296");
    static readonly byte[] Gy = H("4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5");
    static readonly byte[] GPoint = Cmd.Sized(Cmd.Cat(Cmd.Sized(Gx), Cmd.Sized(Gy)));
    static readonly byte[] NullTicket = H("8024 40000007 0000");

    static uint HandleOf(Response r) => BinaryPrimitives.ReadUInt32BigEndian(r.Body);

    static void Persist(TpmTestHost host, string template, uint persistent, byte[]? data = null)
    {
        var r = host.RunWithPasswords(TpmCc.CreatePrimary, [Owner], [[]],
            Cmd.Cat(Sensitive(data), Cmd.Sized(H(template)), Cmd.Sized([]), Cmd.U32(0)));
        Assert.Equal(TpmRc.Success, r.Rc);
        uint handle = HandleOf(r);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.EvictControl, [Owner, handle], [[]], Cmd.U32(persistent)).Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.FlushContext, Cmd.U32(handle)).Rc);
    }

    /// <summary>The TPM with its keys, and one valid parameter area per command.</summary>
    static (TpmTestHost Host, FuzzSeed[] Seeds) Prepare()
    {
        var host = new TpmTestHost();
        Persist(host, EccStorage, Srk);
        Persist(host, EcdsaKey, Ecdsa);
        Persist(host, RsaKey, Rsa);
        Persist(host, HmacKey, Hmac);
        Persist(host, AesKey, Aes);
        Persist(host, EcdaaKey, Ecdaa);
        Persist(host, EcdhKey, Ecdh);
        Persist(host, DerivationParent, Derivation);
        Persist(host, CmacKey, Cmac, H("2b7e151628aed2a6abf7158809cf4f3c"));

        var digest = Cmd.Sized(new byte[32]);
        var signed = host.RunWithPasswords(TpmCc.Sign, [Ecdsa], [[]], Cmd.Cat(digest, H("0010"), NullTicket));
        Assert.Equal(TpmRc.Success, signed.Rc);
        var signature = signed.SessionParameters();

        var create = Cmd.Cat(Sensitive(), Cmd.Sized(H(EcdsaKey)), Cmd.Sized([]), Cmd.U32(0));
        var created = host.RunWithPasswords(TpmCc.Create, [Srk], [[]], create);
        Assert.Equal(TpmRc.Success, created.Rc);
        var outputs = created.SessionParameters();
        int privateSize = BinaryPrimitives.ReadUInt16BigEndian(outputs);
        int publicSize = BinaryPrimitives.ReadUInt16BigEndian(outputs.AsSpan(2 + privateSize));
        var load = outputs[..(2 + privateSize + 2 + publicSize)];

        var loaded = host.RunWithPasswords(TpmCc.Load, [Srk], [[]], load);
        Assert.Equal(TpmRc.Success, loaded.Rc);
        var saved = host.Run(TpmCc.ContextSave, null, [HandleOf(loaded)]);
        Assert.Equal(TpmRc.Success, saved.Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.FlushContext, Cmd.U32(HandleOf(loaded))).Rc);

        // ECDAA signs with an outstanding commit: the sanity run's Commit (just before the ECDAA Sign seed)
        // makes the count after this one.
        var committed = host.RunWithPasswords(TpmCc.Commit, [Ecdaa], [[]], Cmd.Cat(GPoint, Cmd.Sized([]), Cmd.Sized([])));
        Assert.Equal(TpmRc.Success, committed.Rc);
        ushort nextCount = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(committed.SessionParameters().AsSpan()[^2..]) + 1);

        var oaep = H("0017 000B");
        var encrypted = host.Run(TpmCc.RsaEncrypt, Cmd.Cat(Cmd.Sized(new byte[16]), oaep, Cmd.Sized([])), [Rsa]);
        Assert.Equal(TpmRc.Success, encrypted.Rc);

        var derive = Cmd.Cat(H("0023 000B 00040452 0000 0010 0018 000B 0003 0010"), Cmd.Sized("label"u8.ToArray()), Cmd.Sized("context"u8.ToArray()));
        FuzzSeed[] seeds =
        [
            new(TpmCc.Sign, [Ecdsa], 1, Cmd.Cat(digest, H("0010"), NullTicket)),
            new(TpmCc.Sign, [Rsa], 1, Cmd.Cat(digest, H("0016 000B"), NullTicket)),
            new(TpmCc.VerifySignature, [Ecdsa], 0, Cmd.Cat(digest, signature)),
            new(TpmCc.RsaEncrypt, [Rsa], 0, Cmd.Cat(Cmd.Sized(new byte[16]), oaep, Cmd.Sized("label\0"u8.ToArray()))),
            new(TpmCc.RsaDecrypt, [Rsa], 1, Cmd.Cat(encrypted.Body, oaep, Cmd.Sized([]))),
            new(TpmCc.EcdhKeyGen, [Ecdh], 0, []),
            new(TpmCc.EcdhZGen, [Ecdh], 1, GPoint),
            new(TpmCc.EccParameters, [], 0, H("0003")),
            new(TpmCc.EcEphemeral, [], 0, H("0003")),
            new(TpmCc.Commit, [Ecdaa], 1, Cmd.Cat(GPoint, Cmd.Sized([]), Cmd.Sized([]))),
            new(TpmCc.Sign, [Ecdaa], 1, Cmd.Cat(digest, H("001A 000B"), Cmd.U16(nextCount), NullTicket)),
            new(TpmCc.ZGen2Phase, [Ecdh], 1, Cmd.Cat(GPoint, GPoint, H("0019"), Cmd.U16(0))),
            new(TpmCc.EncryptDecrypt2, [Aes], 1, Cmd.Cat(Cmd.Sized(new byte[48]), Cmd.U8(0), H("0043"), Cmd.Sized(new byte[16]))),
            new(TpmCc.Hmac, [Hmac], 1, Cmd.Cat(Cmd.Sized(new byte[40]), H("000B"))),
            new(TpmCc.Hmac, [Cmac], 1, Cmd.Cat(Cmd.Sized(new byte[40]), H("003F"))),
            new(TpmCc.HmacStart, [Cmac], 1, Cmd.Cat(Cmd.Sized("seq"u8.ToArray()), H("0010"))),
            new(TpmCc.Create, [Srk], 1, create),
            new(TpmCc.CreateLoaded, [Srk], 1, Cmd.Cat(Sensitive(), Cmd.Sized(H(HmacKey)))),
            new(TpmCc.CreateLoaded, [Derivation], 1, Cmd.Cat(Sensitive(), Cmd.Sized(derive))),
            new(TpmCc.Load, [Srk], 1, load),
            new(TpmCc.LoadExternal, [], 0, Cmd.Cat(Cmd.U16(0), Cmd.Sized(Cmd.Cat(H("0023 000B 00040040 0000 0010 0018 000B 0003 0010"), GPoint[2..])), Cmd.U32(Null))),
            new(TpmCc.ContextLoad, [], 0, saved.Body),
            new(TpmCc.TestParms, [], 0, H("0023 0010 0018 000B 0003 0010")),
            new(TpmCc.ReadPublic, [Ecdsa], 0, []),
        ];
        return (host, seeds);
    }

    /// <summary>Whatever a command left loaded (objects, sequences) goes, so that slots stay free.</summary>
    static void FlushTransients(TpmTestHost host)
    {
        for (uint h = 0x80000000; h < 0x80000004; h++) host.Run(TpmCc.FlushContext, Cmd.U32(h));
    }

    [Theory]
    [InlineData(1, 4000)]
    [InlineData(2, 4000)]
    [InlineData(3, 4000)]
    public void Mutated_key_commands_never_cause_failure_mode(int seedValue, int iterations)
    {
        var (host, seeds) = Prepare();
        // Every seed is a valid command, so that mutations start deep inside each handler.
        foreach (var seed in seeds)
        {
            var ok = seed.Send(host, seed.Parameters);
            Assert.True(ok.Rc == TpmRc.Success, $"seed {seed.Code} on {string.Join(",", seed.Handles.Select(h => h.ToString("X")))}: {ok.Rc}");
            FlushTransients(host);
        }
        var random = new Random(seedValue);
        var codes = new HashSet<TpmRc>();
        int successes = 0;
        for (int i = 0; i < iterations; i++)
        {
            var seed = seeds[random.Next(seeds.Length)];
            var parameters = random.Next(10) == 0 ? seed.Parameters : Mutation.Mutate(random, seed.Parameters);
            var r = seed.Send(host, parameters);
            Assert.False(host.Tpm.InFailureMode, $"{seed.Code} {Convert.ToHexString(parameters)} put the TPM into failure mode");
            Assert.NotEqual(TpmRc.Failure, r.Rc);
            codes.Add(r.Rc);
            if (r.Rc == TpmRc.Success) successes++;
            FlushTransients(host);
        }
        // The mutations reach many different checks, and the keys still work.
        Assert.True(codes.Count > 15, string.Join(", ", codes));
        Assert.True(successes > 50, $"{successes} successes");
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.Sign, [Ecdsa], [[]], Cmd.Cat(Cmd.Sized(new byte[32]), H("0010"), NullTicket)).Rc);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.Hmac, [Hmac], [[]], Cmd.Cat(Cmd.Sized(new byte[8]), H("000B"))).Rc);
    }
}
