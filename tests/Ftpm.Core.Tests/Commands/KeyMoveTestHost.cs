using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Ftpm.Tests.Commands;

/// <summary>An in-process TPM with what the credential and duplication tests need: primaries, children,
/// policy sessions, and commands authorized by passwords or a policy session.</summary>
internal sealed class KeyMoveTestHost
{
    public readonly TpmTestHost Host = new();
    public const uint Owner = 0x40000001, Endorsement = 0x4000000B, Null = 0x40000007;

    // TPMT_PUBLIC templates (hex). Storage keys: fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|
    // noDA|restricted|decrypt with AES-128-CFB; signing keys: ECDSA-SHA256.
    public const string EccStorage = "0023 000B 00030472 0000 0006 0080 0043 0010 0003 0010 0000 0000";
    public const string RsaStorage = "0001 000B 00030472 0000 0006 0080 0043 0010 0800 00000000 0000";
    public const string EccSigning = "0023 000B 00040072 0000 0010 0018 000B 0003 0010 0000 0000";

    public static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    /// <summary>PolicyCommandCode(TPM2_Duplicate) with SHA-256.</summary>
    public static readonly byte[] DuplicatePolicy =
        SHA256.HashData(Cmd.Cat(new byte[32], Cmd.U32((uint)TpmCc.PolicyCommandCode), Cmd.U32((uint)TpmCc.Duplicate)));

    /// <summary>An ECDSA signing key that may be duplicated under <see cref="DuplicatePolicy"/>, with
    /// more attributes (encryptedDuplication 0x800, fixedParent 0x10) when asked.</summary>
    public static string DuplicableSigning(uint extraAttributes = 0) =>
        $"0023 000B {0x00040060 | extraAttributes:X8} 0020 {Convert.ToHexString(DuplicatePolicy)} 0010 0018 000B 0003 0010 0000 0000";

    public sealed record Key(uint Handle, byte[] Name, byte[] Public);
    public sealed record Blob(byte[] Private, byte[] Public);

    static byte[] CreateParameters(string template, byte[]? auth = null) => Cmd.Cat(
        Cmd.Sized(Cmd.Cat(Cmd.Sized(auth ?? []), Cmd.Sized([]))), Cmd.Sized(H(template)), Cmd.Sized([]), Cmd.U32(0));

    public Key CreatePrimary(string template, uint hierarchy = Owner)
    {
        var r = Host.RunWithPasswords(TpmCc.CreatePrimary, [hierarchy], [[]], CreateParameters(template));
        Assert.Equal(TpmRc.Success, r.Rc);
        uint handle = BinaryPrimitives.ReadUInt32BigEndian(r.Body);
        var p = r.SessionParameters(handles: 1);
        var outPublic = p[..(2 + BinaryPrimitives.ReadUInt16BigEndian(p))];
        return new Key(handle, p[^34..], outPublic);
    }

    public Blob Create(Key parent, string template, byte[]? auth = null)
    {
        var r = Host.RunWithPasswords(TpmCc.Create, [parent.Handle], [[]], CreateParameters(template, auth));
        Assert.Equal(TpmRc.Success, r.Rc);
        var p = r.SessionParameters();
        int privateSize = BinaryPrimitives.ReadUInt16BigEndian(p);
        var outPrivate = p[..(2 + privateSize)];
        int publicSize = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(2 + privateSize));
        return new Blob(outPrivate, p.AsSpan(2 + privateSize, 2 + publicSize).ToArray());
    }

    public Response TryLoad(Key parent, Blob blob) =>
        Host.RunWithPasswords(TpmCc.Load, [parent.Handle], [[]], Cmd.Cat(blob.Private, blob.Public));

    public Key Load(Key parent, Blob blob)
    {
        var r = TryLoad(parent, blob);
        Assert.Equal(TpmRc.Success, r.Rc);
        var name = r.SessionParameters(handles: 1);
        return new Key(BinaryPrimitives.ReadUInt32BigEndian(r.Body), name[2..], blob.Public);
    }

    /// <summary>A policy session that went through PolicyCommandCode(TPM2_Duplicate).</summary>
    public uint DuplicateSession()
    {
        var s = Auth.SessionClient.Start(Host, TpmSe.Policy);
        Assert.Equal(TpmRc.Success, Host.Run(TpmCc.PolicyCommandCode, Cmd.U32((uint)TpmCc.Duplicate), [s.Handle]).Rc);
        return s.Handle;
    }

    /// <summary>A command whose first handle is authorized by policy session <paramref name="session"/>
    /// (no HMAC: the policy needs no authValue) and any further authorized handles by empty passwords.</summary>
    public Response RunWithPolicy(TpmCc code, uint[] handles, uint session, byte[] parameters, int passwords = 0)
    {
        var area = new List<byte>(Cmd.Cat(Cmd.U32(session), Cmd.U16(0), [0x01], Cmd.Sized([])));
        for (int i = 0; i < passwords; i++) area.AddRange(Cmd.PasswordSession([]));
        return Host.Send(Cmd.Build(TpmSt.Sessions, code, handles, area.ToArray(), parameters));
    }

    public Response Run(TpmCc code, uint[] handles, byte[] parameters) => Host.Run(code, parameters, handles);

    public Response RunWithPasswords(TpmCc code, uint[] handles, byte[] parameters) =>
        Host.RunWithPasswords(code, handles, handles.Select(_ => Array.Empty<byte>()).ToArray(), parameters);

    /// <summary>Splits response parameters into their TPM2B fields.</summary>
    public static byte[][] Sized(byte[] parameters, int count)
    {
        var fields = new byte[count][];
        int at = 0;
        for (int i = 0; i < count; i++)
        {
            int size = BinaryPrimitives.ReadUInt16BigEndian(parameters.AsSpan(at));
            fields[i] = parameters.AsSpan(at + 2, size).ToArray();
            at += 2 + size;
        }
        Assert.Equal(parameters.Length, at);
        return fields;
    }

    /// <summary>Signs a zero digest with a loaded ECDSA key (password authorization).</summary>
    public TpmRc Sign(Key key) => Host.RunWithPasswords(TpmCc.Sign, [key.Handle], [[]],
        Cmd.Cat(Cmd.Sized(new byte[32]), Cmd.U16(0x0010), Cmd.U16(0x8024), Cmd.U32(Null), Cmd.U16(0))).Rc;
}
