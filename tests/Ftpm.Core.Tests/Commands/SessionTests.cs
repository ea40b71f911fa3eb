using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Tests.Auth;

namespace Ftpm.Tests.Commands;

/// <summary>TPM2_StartAuthSession, HMAC authorization, parameter encryption, session contexts (Part 1, 19
/// and 21; Part 3, 11 and 28), with the client side computed independently (<see cref="SessionClient"/>).</summary>
public class SessionTests
{
    const uint RhNull = 0x40000007;
    const uint RhOwner = 0x40000001;

    static byte[] Nonce(int n = 32) => RandomNumberGenerator.GetBytes(n);

    [Fact]
    public void Hmac_policy_and_trial_sessions_get_handles_of_their_type()
    {
        var host = new TpmTestHost();
        var a = SessionClient.Start(host);
        var b = SessionClient.Start(host, TpmSe.Policy);
        var c = SessionClient.Start(host, TpmSe.Trial, TpmAlgId.Sha1);
        Assert.Equal(0x02000000u, a.Handle);
        Assert.Equal(0x03000001u, b.Handle);
        Assert.Equal(0x03000002u, c.Handle);
        Assert.Equal(20, c.NonceTpm.Length);
    }

    [Theory]
    [InlineData(15)]
    [InlineData(33)]
    public void Nonce_caller_outside_16_to_digest_size_is_size_p1(int size)
    {
        var host = new TpmTestHost();
        var r = host.Run(TpmCc.StartAuthSession, SessionClient.StartParameters(Nonce(size), TpmSe.Hmac, TpmAlgId.Sha256), [RhNull, RhNull]);
        Assert.Equal((TpmRc)0x1D5, r.Rc);
    }

    [Fact]
    public void Salt_without_key_is_value_p2()
    {
        var host = new TpmTestHost();
        var r = host.Run(TpmCc.StartAuthSession, SessionClient.StartParameters(Nonce(), TpmSe.Hmac, TpmAlgId.Sha256, salt: [1, 2]), [RhNull, RhNull]);
        Assert.Equal((TpmRc)0x2C4, r.Rc);
    }

    [Fact]
    public void Symmetric_definition_codes()
    {
        var host = new TpmTestHost();
        byte[] Run(byte[] sym) => Cmd.Cat(Cmd.Sized(Nonce()), Cmd.U16(0), [0], sym, Cmd.U16((ushort)TpmAlgId.Sha256));
        // AES in OFB mode: TPM_RC_MODE (P4); AES-192 not a session cipher here: TPM_RC_VALUE (P4);
        // XOR with no hash: TPM_RC_HASH (P4); an unknown algorithm: TPM_RC_SYMMETRIC (P4).
        Assert.Equal((TpmRc)0x4C9, host.Run(TpmCc.StartAuthSession, Run(Cmd.Cat(Cmd.U16(6), Cmd.U16(128), Cmd.U16(0x41))), [RhNull, RhNull]).Rc);
        Assert.Equal((TpmRc)0x4C4, host.Run(TpmCc.StartAuthSession, Run(Cmd.Cat(Cmd.U16(6), Cmd.U16(100), Cmd.U16(0x43))), [RhNull, RhNull]).Rc);
        Assert.Equal((TpmRc)0x4C3, host.Run(TpmCc.StartAuthSession, Run(Cmd.Cat(Cmd.U16(0x0A), Cmd.U16(0x10))), [RhNull, RhNull]).Rc);
        Assert.Equal((TpmRc)0x4D6, host.Run(TpmCc.StartAuthSession, Run(Cmd.Cat(Cmd.U16(0x26), Cmd.U16(128), Cmd.U16(0x43))), [RhNull, RhNull]).Rc);
    }

    [Fact]
    public void Session_type_out_of_range_is_value_p3()
    {
        var host = new TpmTestHost();
        var p = SessionClient.StartParameters(Nonce(), (TpmSe)2, TpmAlgId.Sha256);
        Assert.Equal((TpmRc)0x3C4, host.Run(TpmCc.StartAuthSession, p, [RhNull, RhNull]).Rc);
    }

    [Fact]
    public void Salted_session_with_a_sequence_as_key_is_key_h1()
    {
        var host = new TpmTestHost();
        var seq = host.Run(TpmCc.HashSequenceStart, Cmd.Cat(Cmd.U16(0), Cmd.U16((ushort)TpmAlgId.Sha256)));
        uint handle = BinaryPrimitives.ReadUInt32BigEndian(seq.Body);
        var r = host.Run(TpmCc.StartAuthSession, SessionClient.StartParameters(Nonce(), TpmSe.Hmac, TpmAlgId.Sha256, salt: [1]), [handle, RhNull]);
        Assert.Equal((TpmRc)0x19C, r.Rc);
    }

    [Fact]
    public void Fourth_loaded_session_is_session_memory_and_flush_frees_a_slot()
    {
        var host = new TpmTestHost();
        var s = Enumerable.Range(0, 3).Select(_ => SessionClient.Start(host)).ToArray();
        var r = host.Run(TpmCc.StartAuthSession, SessionClient.StartParameters(Nonce(), TpmSe.Hmac, TpmAlgId.Sha256), [RhNull, RhNull]);
        Assert.Equal((TpmRc)0x903, r.Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.FlushContext, Cmd.U32(s[1].Handle)).Rc);
        Assert.Equal((TpmRc)0x1CB, host.Run(TpmCc.FlushContext, Cmd.U32(s[1].Handle)).Rc);     // TPM_RC_HANDLE + P1
        Assert.Equal((TpmRc)0x1C4, host.Run(TpmCc.FlushContext, Cmd.U32(0x02000040)).Rc);     // beyond HMAC_SESSION_LAST: VALUE + P1
        Assert.Equal(0x02000001u, SessionClient.Start(host).Handle);
    }

    /// <summary>PCR_Event on PCR 16 (empty authValue) authorized by <paramref name="s"/>.</summary>
    static (Response r, byte[] parameters) PcrEvent(TpmTestHost host, SessionClient s, byte attributes = 1, bool corrupt = false)
    {
        var parameters = Cmd.Sized("event"u8.ToArray());
        var cp = SessionClient.CpHash(s.AuthHash, TpmCc.PcrEvent, [SessionClient.HandleName(16)], parameters);
        var auth = s.AuthCommand(cp, attributes, entity: 16, authValue: []);
        if (corrupt) auth[^1] ^= 1;
        return (host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.PcrEvent, [16], auth, parameters)), parameters);
    }

    [Fact]
    public void Bound_hmac_session_authorizes_and_answers_with_an_hmac_the_caller_verifies()
    {
        var host = new TpmTestHost();
        var s = SessionClient.Start(host, bind: 16);
        for (int i = 0; i < 3; i++)
        {
            var (r, _) = PcrEvent(host, s);
            Assert.Equal(TpmRc.Success, r.Rc);
            var parameters = r.SessionParameters();
            s.CheckResponse(r.Bytes, 10 + 4 + parameters.Length, TpmCc.PcrEvent, parameters, entity: 16, authValue: []);
        }
    }

    [Theory]
    [InlineData(TpmAlgId.Sha1)]
    [InlineData(TpmAlgId.Sha384)]
    [InlineData(TpmAlgId.Sha512)]
    public void Unbound_session_with_empty_auth_and_any_hash(TpmAlgId hash)
    {
        var host = new TpmTestHost();
        var s = SessionClient.Start(host, hash: hash, nonceSize: 16);
        var (r, _) = PcrEvent(host, s);
        Assert.Equal(TpmRc.Success, r.Rc);
        var parameters = r.SessionParameters();
        s.CheckResponse(r.Bytes, 10 + 4 + parameters.Length, TpmCc.PcrEvent, parameters, entity: 16, authValue: []);
    }

    [Fact]
    public void Wrong_hmac_for_a_pcr_is_bad_auth_at_session_1_and_leaves_the_session_usable()
    {
        var host = new TpmTestHost();
        var s = SessionClient.Start(host, bind: RhOwner);
        var (r, _) = PcrEvent(host, s, corrupt: true);
        Assert.Equal((TpmRc)0x9A2, r.Rc);
        Assert.Equal(TpmRc.Success, PcrEvent(host, s).r.Rc);
    }

    [Fact]
    public void Session_without_continue_is_flushed_after_the_command()
    {
        var host = new TpmTestHost();
        var s = SessionClient.Start(host);
        Assert.Equal(TpmRc.Success, PcrEvent(host, s, attributes: 0).r.Rc);
        Assert.Equal((TpmRc)0x1CB, host.Run(TpmCc.FlushContext, Cmd.U32(s.Handle)).Rc);
        Assert.Equal(TpmRc.ReferenceS0, PcrEvent(host, s).r.Rc);
    }

    [Fact]
    public void Session_that_authorizes_nothing_must_audit_or_encrypt()
    {
        var host = new TpmTestHost();
        var s = SessionClient.Start(host);
        var auth = s.AuthCommand(SessionClient.CpHash(s.AuthHash, TpmCc.GetRandom, [], Cmd.U16(8)), 1);
        Assert.Equal((TpmRc)0x982, host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.GetRandom, [], auth, Cmd.U16(8))).Rc);
    }

    [Fact]
    public void Trial_session_in_the_authorization_area_is_attributes()
    {
        var host = new TpmTestHost();
        var s = SessionClient.Start(host, TpmSe.Trial);
        Assert.Equal((TpmRc)0x982, PcrEvent(host, s).r.Rc);
    }

    [Fact]
    public void Hmac_session_named_as_policy_session_is_handle_at_session()
    {
        var host = new TpmTestHost();
        var s = SessionClient.Start(host);
        s.Handle = 0x03000000;
        Assert.Equal((TpmRc)0x98B, PcrEvent(host, s).r.Rc);
    }

    [Fact]
    public void Same_session_twice_is_handle_at_the_second()
    {
        var host = new TpmTestHost();
        var s = SessionClient.Start(host, sym: TpmAlgId.Aes, symBits: 128);
        var parameters = Cmd.Sized("e"u8.ToArray());
        var cp = SessionClient.CpHash(s.AuthHash, TpmCc.PcrEvent, [SessionClient.HandleName(16)], parameters);
        var area = Cmd.Cat(s.AuthCommand(cp, 1, 16, []), s.AuthCommand(cp, 0x21, null, null));
        Assert.Equal((TpmRc)0xA8B, host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.PcrEvent, [16], area, parameters)).Rc);
    }

    [Theory]
    [InlineData(TpmAlgId.Xor, (ushort)TpmAlgId.Sha256)]
    [InlineData(TpmAlgId.Aes, 128)]
    [InlineData(TpmAlgId.Aes, 256)]
    public void Hash_with_decrypted_input_and_encrypted_digest(TpmAlgId sym, ushort bits)
    {
        var host = new TpmTestHost();
        var s = SessionClient.Start(host, sym: sym, symBits: bits, bind: RhOwner);
        var data = RandomNumberGenerator.GetBytes(77);
        var tail = Cmd.Cat(Cmd.U16((ushort)TpmAlgId.Sha256), Cmd.U32(RhNull));
        // The HMAC covers the parameters as sent: encrypted.
        s.NonceCaller = Nonce();
        var encrypted = s.Crypt(data, command: true);
        var parameters = Cmd.Cat(Cmd.Sized(encrypted), tail);
        var cp = SessionClient.CpHash(s.AuthHash, TpmCc.Hash, [], parameters);
        var auth = s.AuthCommand(cp, 0x61, nonceCaller: s.NonceCaller);
        var r = host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.Hash, [], auth, parameters));
        Assert.Equal(TpmRc.Success, r.Rc);
        var response = r.SessionParameters();
        s.CheckResponse(r.Bytes, 14 + response.Length, TpmCc.Hash, response);
        int size = BinaryPrimitives.ReadUInt16BigEndian(response);
        var digest = s.Crypt(response[2..(2 + size)], command: false);
        Assert.Equal(SHA256.HashData(data), digest);
        Assert.NotEqual(SHA256.HashData(data), response[2..(2 + size)]);
    }

    [Fact]
    public void Decrypt_on_a_command_without_an_encryptable_parameter_is_attributes()
    {
        var host = new TpmTestHost();
        var s = SessionClient.Start(host, sym: TpmAlgId.Aes, symBits: 128);
        var cp = SessionClient.CpHash(s.AuthHash, TpmCc.PcrReset, [SessionClient.HandleName(16)], []);
        var area = s.AuthCommand(cp, 0x21, 16, []);
        Assert.Equal((TpmRc)0x982, host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.PcrReset, [16], area, [])).Rc);
    }

    [Fact]
    public void Decrypt_with_a_session_without_cipher_is_symmetric()
    {
        var host = new TpmTestHost();
        var s = SessionClient.Start(host);
        var (r, _) = PcrEvent(host, s, attributes: 0x21);
        Assert.Equal((TpmRc)0x996, r.Rc);
    }

    [Theory]
    [InlineData(new byte[] { 0x00 })]                 // cannot hold the size: TPM_RC_INSUFFICIENT
    [InlineData(new byte[] { 0x00, 0x09, 1, 2, 3 })]  // size beyond the area: TPM_RC_SIZE
    public void Decrypt_never_reads_past_the_parameters(byte[] parameters)
    {
        var host = new TpmTestHost();
        var s = SessionClient.Start(host, sym: TpmAlgId.Xor, symBits: (ushort)TpmAlgId.Sha256);
        var cp = SessionClient.CpHash(s.AuthHash, TpmCc.StirRandom, [], parameters);
        var area = s.AuthCommand(cp, 0x21);
        var rc = host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.StirRandom, [], area, parameters)).Rc;
        Assert.Equal(parameters.Length < 2 ? (TpmRc)0x99A : (TpmRc)0x995, rc);
    }

    [Fact]
    public void Decrypt_of_an_empty_buffer_that_ends_the_parameters_succeeds()
    {
        // As libtpms (checked against swtpm); the reference answers TPM_RC_SIZE here.
        var host = new TpmTestHost();
        var s = SessionClient.Start(host, sym: TpmAlgId.Xor, symBits: (ushort)TpmAlgId.Sha256);
        byte[] parameters = [0, 0];
        var cp = SessionClient.CpHash(s.AuthHash, TpmCc.StirRandom, [], parameters);
        Assert.Equal(TpmRc.Success, host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.StirRandom, [], s.AuthCommand(cp, 0x21), parameters)).Rc);
    }

    [Fact]
    public void Audit_session_reports_exclusivity()
    {
        var host = new TpmTestHost();
        var s = SessionClient.Start(host);
        var cp = SessionClient.CpHash(s.AuthHash, TpmCc.GetRandom, [], Cmd.U16(4));
        var r = host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.GetRandom, [], s.AuthCommand(cp, 0x81), Cmd.U16(4)));
        Assert.Equal(TpmRc.Success, r.Rc);
        var parameters = r.SessionParameters();
        int at = 14 + parameters.Length;
        Assert.Equal(0x83, r.Bytes[at + 2 + s.NonceTpm.Length]);  // audit | auditExclusive | continueSession
    }

    [Fact]
    public void Context_commands_refuse_sessions()
    {
        var host = new TpmTestHost();
        var r = host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.FlushContext, [], Cmd.PasswordSession([]), Cmd.U32(0x02000000)));
        Assert.Equal((TpmRc)0x145, r.Rc);
    }

    static byte[] Save(TpmTestHost host, uint handle)
    {
        var r = host.Run(TpmCc.ContextSave, handles: [handle]);
        Assert.Equal(TpmRc.Success, r.Rc);
        return r.Body;
    }

    [Fact]
    public void Saved_session_loads_once_and_works_again()
    {
        var host = new TpmTestHost();
        var s = SessionClient.Start(host, bind: 16);
        var context = Save(host, s.Handle);
        Assert.Equal(s.Handle, BinaryPrimitives.ReadUInt32BigEndian(context.AsSpan(8)));
        Assert.Equal(RhNull, BinaryPrimitives.ReadUInt32BigEndian(context.AsSpan(12)));
        Assert.Equal(TpmRc.ReferenceS0, PcrEvent(host, s).r.Rc);           // saved, not loaded
        var load = host.Run(TpmCc.ContextLoad, context);
        Assert.Equal(TpmRc.Success, load.Rc);
        Assert.Equal(s.Handle, BinaryPrimitives.ReadUInt32BigEndian(load.Body));
        Assert.Equal(TpmRc.Success, PcrEvent(host, s).r.Rc);
        Assert.Equal((TpmRc)0x1CB, host.Run(TpmCc.ContextLoad, context).Rc); // loaded already: HANDLE + P1
        var again = Save(host, s.Handle);
        Assert.Equal((TpmRc)0x1CB, host.Run(TpmCc.ContextLoad, context).Rc); // an older context: HANDLE + P1
        var tampered = (byte[])again.Clone();
        tampered[^1] ^= 1;
        Assert.Equal((TpmRc)0x1DF, host.Run(TpmCc.ContextLoad, tampered).Rc); // INTEGRITY + P1
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.ContextLoad, again).Rc);
    }

    [Fact]
    public void Saved_session_survives_resume_but_not_reset()
    {
        var host = new TpmTestHost();
        var s = SessionClient.Start(host, bind: 16);
        var context = Save(host, s.Handle);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Shutdown, Cmd.U16(1)).Rc);
        host.Tpm.Reset();
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16(1)).Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.ContextLoad, context).Rc);
        Assert.Equal(TpmRc.Success, PcrEvent(host, s).r.Rc);
        context = Save(host, s.Handle);

        host.Tpm.Reset();                                                     // no Shutdown: TPM Reset
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.Startup, Cmd.U16(0)).Rc);
        Assert.Equal((TpmRc)0x1DF, host.Run(TpmCc.ContextLoad, context).Rc);
    }

    [Fact]
    public void Policy_restart_and_session_handle_checks()
    {
        var host = new TpmTestHost();
        var h = SessionClient.Start(host);
        var p = SessionClient.Start(host, TpmSe.Policy);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.PolicyRestart, handles: [p.Handle]).Rc);
        Assert.Equal((TpmRc)0x184, host.Run(TpmCc.PolicyRestart, handles: [h.Handle]).Rc);      // an HMAC handle: VALUE + H1
        Assert.Equal((TpmRc)0x18B, host.Run(TpmCc.PolicyRestart, handles: [0x03000000]).Rc);    // HMAC session in that slot: HANDLE + H1
        Assert.Equal((TpmRc)0x910, host.Run(TpmCc.PolicyRestart, handles: [0x03000005]).Rc);    // not loaded: REFERENCE_H0
    }
}
