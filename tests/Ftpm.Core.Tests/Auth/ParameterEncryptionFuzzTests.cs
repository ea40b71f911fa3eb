using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Ftpm.Tests.Auth;

/// <summary>
/// The parameter-decryption path with sizes an attacker chooses (the reference code's CVE-2023-1017/1018
/// was an out-of-bounds write exactly here). Each command carries a correct HMAC over the mutated
/// parameters, so it gets past authorization into parameter decryption: the first TPM2B's size field
/// may exceed the parameter area, be zero, or cut the area short, and the bytes it covers are encrypted
/// the way a client would (AES-CFB or XOR, with the session's key). The TPM must answer with a response
/// code, never enter failure mode, and keep the session working.
/// </summary>
public sealed class ParameterEncryptionFuzzTests
{
    const uint Owner = 0x40000001;
    const byte ContinueSession = 0x01, Decrypt = 0x20, Encrypt = 0x40;

    record Seed(TpmCc Code, uint[] Handles, byte[] Parameters);

    static readonly Seed[] Seeds =
    [
        new(TpmCc.PcrEvent, [16], Cmd.Sized(new byte[64])),
        new(TpmCc.Hash, [], Cmd.Cat(Cmd.Sized(new byte[200]), Cmd.U16((ushort)TpmAlgId.Sha256), Cmd.U32(Owner))),
        new(TpmCc.StirRandom, [], Cmd.Sized(new byte[32])),
    ];

    static byte[] Mutate(Random random, byte[] seed)
    {
        var b = seed.ToList();
        switch (random.Next(5))
        {
            case 0:                                                    // the first TPM2B's size field
                ushort v = (ushort)(random.Next(4) switch { 0 => 0, 1 => 0xFFFF, 2 => b.Count - 2 + random.Next(-3, 4), _ => random.Next(65536) });
                b[0] = (byte)(v >> 8);
                b[1] = (byte)v;
                break;
            case 1: b = b.Take(random.Next(b.Count)).ToList(); break;  // cut short
            case 2: for (int n = random.Next(1, 300); n > 0; n--) b.Add((byte)random.Next(256)); break;
            case 3: b[random.Next(b.Count)] ^= (byte)(1 << random.Next(8)); break;
            default: b.Insert(random.Next(b.Count + 1), (byte)random.Next(256)); break;
        }
        return [.. b];
    }

    [Theory]
    [InlineData(TpmAlgId.Aes, (ushort)128, 1)]
    [InlineData(TpmAlgId.Xor, (ushort)TpmAlgId.Sha256, 2)]
    public void Decryption_with_any_size_field_never_fails_the_tpm(TpmAlgId sym, ushort symBits, int seedValue)
    {
        var host = new TpmTestHost();
        var session = SessionClient.Start(host, bind: Owner, sym: sym, symBits: symBits);
        var random = new Random(seedValue);
        var codes = new HashSet<TpmRc>();
        int decrypted = 0;
        for (int i = 0; i < 2000; i++)
        {
            var seed = Seeds[random.Next(Seeds.Length)];
            var parameters = random.Next(8) == 0 ? (byte[])seed.Parameters.Clone() : Mutate(random, seed.Parameters);
            byte attributes = (byte)(ContinueSession | Decrypt | (random.Next(2) == 0 ? Encrypt : 0));

            // The caller encrypts what the size field covers, when it fits; the TPM must check the rest.
            session.NonceCaller = RandomNumberGenerator.GetBytes(session.NonceTpm.Length);
            if (parameters.Length >= 2)
            {
                int size = BinaryPrimitives.ReadUInt16BigEndian(parameters);
                if (size > 0 && 2 + size <= parameters.Length)
                    session.Crypt(parameters[2..(2 + size)], command: true).CopyTo(parameters, 2);
            }
            var names = seed.Handles.Select(SessionClient.HandleName).ToArray();
            var cpHash = SessionClient.CpHash(TpmAlgId.Sha256, seed.Code, names, parameters);
            uint? entity = seed.Handles.Length > 0 ? seed.Handles[0] : null;
            var area = session.AuthCommand(cpHash, attributes, entity, [], nonceCaller: session.NonceCaller);
            var response = host.Send(Cmd.Build(TpmSt.Sessions, seed.Code, seed.Handles, area, parameters));

            Assert.False(host.Tpm.InFailureMode, $"{seed.Code} {Convert.ToHexString(parameters)} put the TPM into failure mode");
            Assert.NotEqual(TpmRc.Failure, response.Rc);
            codes.Add(response.Rc);
            if (response.Rc == TpmRc.Success)
            {
                decrypted++;
                // The response ends with the session: nonceTPM (2 + 32), attributes, hmac (2 + 32).
                var bytes = response.Bytes;
                session.NonceTpm = bytes.AsSpan(bytes.Length - 69 + 2, 32).ToArray();
            }
        }
        // Both the refusals (TPM_RC_SIZE and friends) and successful decryptions were reached.
        Assert.Contains(codes, c => c != TpmRc.Success);
        Assert.True(decrypted > 100, $"{decrypted} commands decrypted");
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.GetRandom, Cmd.U16(8)).Rc);
    }
}
