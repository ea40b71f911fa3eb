using System.Buffers.Binary;
using System.Security.Cryptography;
using Ftpm.Tests.Auth;

namespace Ftpm.Tests.Commands;

/// <summary>Part 3, 23 policy commands and authorization with policy sessions (Part 1, 19.7). Digests are
/// computed here from the spec's formulas; the well-known ones and the codes were checked against libtpms.</summary>
public class PolicyTests
{
    const uint Owner = 0x40000001;
    static readonly byte[] Zero32 = new byte[32];

    static byte[] H(params byte[][] parts) => SHA256.HashData(Cmd.Cat(parts));
    static byte[] Cc(TpmCc code) => Cmd.U32((uint)code);

    static byte[] GetDigest(TpmTestHost host, uint session)
    {
        var r = host.Run(TpmCc.PolicyGetDigest, handles: [session]);
        Assert.Equal(TpmRc.Success, r.Rc);
        return r.Body[2..];
    }

    static void Ok(TpmTestHost host, TpmCc code, uint session, byte[]? parameters = null) =>
        Assert.Equal(TpmRc.Success, host.Run(code, parameters, [session]).Rc);

    static void SetOwnerPolicy(TpmTestHost host, byte[] policy, byte[]? ownerAuth = null) =>
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.SetPrimaryPolicy, [Owner], [ownerAuth ?? []],
            Cmd.Cat(Cmd.Sized(policy), Cmd.U16((ushort)TpmAlgId.Sha256))).Rc);

    /// <summary>ClockSet (owner, USER role) authorized by the policy session <paramref name="s"/>; the
    /// hmac field holds <paramref name="hmac"/> or, when null, the HMAC over the command.</summary>
    static Response ClockSet(TpmTestHost host, SessionClient s, byte[]? ownerAuth = null, byte[]? hmac = null,
        ulong value = 1UL << 41, byte locality = 0, byte attributes = 1)
    {
        var parameters = Cmd.U64(value);
        var cp = SessionClient.CpHash(s.AuthHash, TpmCc.ClockSet, [SessionClient.HandleName(Owner)], parameters);
        byte[] auth = hmac is null
            ? s.AuthCommand(cp, attributes, Owner, ownerAuth)
            : Cmd.Cat(Cmd.U32(s.Handle), Cmd.Sized(RandomNumberGenerator.GetBytes(16)), [attributes], Cmd.Sized(hmac));
        return host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.ClockSet, [Owner], auth, parameters), locality);
    }

    /// <summary>A policy session that ignores the owner's authValue: the HMAC key is empty.</summary>
    static SessionClient NoAuthValue(SessionClient s) { s.BoundTo = Owner; return s; }

    [Fact]
    public void Digests_of_the_simple_policies()
    {
        var host = new TpmTestHost();
        var t = SessionClient.Start(host, TpmSe.Trial);
        Assert.Equal(Zero32, GetDigest(host, t.Handle));
        Ok(host, TpmCc.PolicyAuthValue, t.Handle);
        var authValue = GetDigest(host, t.Handle);
        Assert.Equal("8FCD2169AB92694E0C633F1AB772842B8241BBC20288981FC7AC1EDDC1FDDB0E", Convert.ToHexString(authValue));
        Ok(host, TpmCc.PolicyRestart, t.Handle);
        Ok(host, TpmCc.PolicyPassword, t.Handle);
        Assert.Equal(authValue, GetDigest(host, t.Handle));              // the same digest as PolicyAuthValue

        Ok(host, TpmCc.PolicyRestart, t.Handle);
        Ok(host, TpmCc.PolicyCommandCode, t.Handle, Cc(TpmCc.ClockSet));
        var cc = GetDigest(host, t.Handle);
        Assert.Equal(H(Zero32, Cc(TpmCc.PolicyCommandCode), Cc(TpmCc.ClockSet)), cc);

        Ok(host, TpmCc.PolicyRestart, t.Handle);
        Ok(host, TpmCc.PolicyOR, t.Handle, Cmd.Cat(Cmd.U32(2), Cmd.Sized(authValue), Cmd.Sized(cc)));
        Assert.Equal(H(Zero32, Cc(TpmCc.PolicyOR), authValue, cc), GetDigest(host, t.Handle));
        Assert.Equal("363A4BAFA6A470630D4FD3874F4FBC8F1B4360A32A6538766A2A0F624E187A0C", Convert.ToHexString(GetDigest(host, t.Handle)));

        Ok(host, TpmCc.PolicyRestart, t.Handle);
        Ok(host, TpmCc.PolicyLocality, t.Handle, [0x08]);
        Assert.Equal(H(Zero32, Cc(TpmCc.PolicyLocality), [0x08]), GetDigest(host, t.Handle));

        Ok(host, TpmCc.PolicyRestart, t.Handle);
        Ok(host, TpmCc.PolicyNvWritten, t.Handle, [1]);
        Assert.Equal(H(Zero32, Cc(TpmCc.PolicyNvWritten), [1]), GetDigest(host, t.Handle));

        Ok(host, TpmCc.PolicyRestart, t.Handle);
        Ok(host, TpmCc.PolicyPhysicalPresence, t.Handle);
        Assert.Equal(H(Zero32, Cc(TpmCc.PolicyPhysicalPresence)), GetDigest(host, t.Handle));

        Ok(host, TpmCc.PolicyRestart, t.Handle);
        var operand = Cmd.U64(60000);
        Ok(host, TpmCc.PolicyCounterTimer, t.Handle, Cmd.Cat(Cmd.Sized(operand), Cmd.U16(8), Cmd.U16(5)));
        Assert.Equal(H(Zero32, Cc(TpmCc.PolicyCounterTimer), H(operand, Cmd.U16(8), Cmd.U16(5))), GetDigest(host, t.Handle));
    }

    [Fact]
    public void Policy_pcr_digest_over_current_values_and_trial_digest()
    {
        var host = new TpmTestHost();
        var selection = Cmd.PcrSelection(TpmAlgId.Sha256, 16, 23);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.PcrExtend, [16], [[]],
            Cmd.Cat(Cmd.U32(1), Cmd.U16((ushort)TpmAlgId.Sha256), SHA256.HashData("x"u8))).Rc);
        var pcr16 = SHA256.HashData(Cmd.Cat(Zero32, SHA256.HashData("x"u8)));
        var pcrDigest = H(pcr16, Zero32);
        var expected = H(Zero32, Cc(TpmCc.PolicyPCR), selection, pcrDigest);

        var s = SessionClient.Start(host, TpmSe.Policy);
        Ok(host, TpmCc.PolicyPCR, s.Handle, Cmd.Cat(Cmd.Sized([]), selection));
        Assert.Equal(expected, GetDigest(host, s.Handle));
        Ok(host, TpmCc.PolicyRestart, s.Handle);
        Assert.Equal((TpmRc)0x1C4, host.Run(TpmCc.PolicyPCR, Cmd.Cat(Cmd.Sized(Zero32), selection), [s.Handle]).Rc);
        Ok(host, TpmCc.PolicyPCR, s.Handle, Cmd.Cat(Cmd.Sized(pcrDigest), selection));

        // A trial session takes the digest it is given, whatever the PCRs hold.
        var t = SessionClient.Start(host, TpmSe.Trial);
        Ok(host, TpmCc.PolicyPCR, t.Handle, Cmd.Cat(Cmd.Sized(Zero32), selection));
        Assert.Equal(H(Zero32, Cc(TpmCc.PolicyPCR), selection, Zero32), GetDigest(host, t.Handle));
    }

    [Fact]
    public void Policy_password_authorizes_with_the_value_in_clear_and_answers_an_empty_hmac()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.HierarchyChangeAuth, [Owner], [[]], Cmd.Sized("pw"u8.ToArray())).Rc);
        SetOwnerPolicy(host, H(Zero32, Cc(TpmCc.PolicyAuthValue)), "pw"u8.ToArray());

        var s = SessionClient.Start(host, TpmSe.Policy);
        Ok(host, TpmCc.PolicyPassword, s.Handle);
        Assert.Equal((TpmRc)0x9A2, ClockSet(host, s, hmac: "bad"u8.ToArray()).Rc);   // owner is DA-exempt: BAD_AUTH
        var r = ClockSet(host, s, hmac: "pw"u8.ToArray());
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(r.Bytes.AsSpan(r.Bytes.Length - 2)));     // empty HMAC

        // The policy session started over after the command: its digest no longer matches.
        Assert.Equal((TpmRc)0x99D, ClockSet(host, s, hmac: "pw"u8.ToArray()).Rc);
    }

    [Fact]
    public void Policy_auth_value_puts_the_auth_value_in_the_hmac_key()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.HierarchyChangeAuth, [Owner], [[]], Cmd.Sized("pw"u8.ToArray())).Rc);
        SetOwnerPolicy(host, H(Zero32, Cc(TpmCc.PolicyAuthValue)), "pw"u8.ToArray());
        var s = SessionClient.Start(host, TpmSe.Policy);
        Ok(host, TpmCc.PolicyAuthValue, s.Handle);
        Assert.Equal((TpmRc)0x9A2, ClockSet(host, s, ownerAuth: "nope"u8.ToArray()).Rc);
        var r = ClockSet(host, s, ownerAuth: "pw"u8.ToArray());
        Assert.Equal(TpmRc.Success, r.Rc);
        s.CheckResponse(r.Bytes, 14, TpmCc.ClockSet, [], Owner, "pw"u8.ToArray());
    }

    [Fact]
    public void Policy_command_code_limits_the_command()
    {
        var host = new TpmTestHost();
        SetOwnerPolicy(host, H(Zero32, Cc(TpmCc.PolicyCommandCode), Cc(TpmCc.ClockSet)));
        var s = NoAuthValue(SessionClient.Start(host, TpmSe.Policy));
        Ok(host, TpmCc.PolicyCommandCode, s.Handle, Cc(TpmCc.ClockSet));
        // ClockRateAdjust is another command: TPM_RC_POLICY_CC at session 1.
        var cp = SessionClient.CpHash(s.AuthHash, TpmCc.ClockRateAdjust, [SessionClient.HandleName(Owner)], [1]);
        var other = host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.ClockRateAdjust, [Owner], s.AuthCommand(cp, 1, Owner, []), [1]));
        Assert.Equal((TpmRc)0x9A4, other.Rc);
        Assert.Equal(TpmRc.Success, ClockSet(host, s).Rc);
    }

    [Fact]
    public void Policy_or_of_two_branches()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.HierarchyChangeAuth, [Owner], [[]], Cmd.Sized("pw"u8.ToArray())).Rc);
        var password = H(Zero32, Cc(TpmCc.PolicyAuthValue));
        var clockSet = H(Zero32, Cc(TpmCc.PolicyCommandCode), Cc(TpmCc.ClockSet));
        SetOwnerPolicy(host, H(Zero32, Cc(TpmCc.PolicyOR), password, clockSet), "pw"u8.ToArray());
        var or = Cmd.Cat(Cmd.U32(2), Cmd.Sized(password), Cmd.Sized(clockSet));

        var s = NoAuthValue(SessionClient.Start(host, TpmSe.Policy));
        Ok(host, TpmCc.PolicyCommandCode, s.Handle, Cc(TpmCc.ClockSet));
        Ok(host, TpmCc.PolicyOR, s.Handle, or);
        Assert.Equal(TpmRc.Success, ClockSet(host, s).Rc);

        Ok(host, TpmCc.PolicyPassword, s.Handle);
        Ok(host, TpmCc.PolicyOR, s.Handle, or);
        Assert.Equal(TpmRc.Success, ClockSet(host, s, hmac: "pw"u8.ToArray(), value: 1UL << 42).Rc);

        // A branch that is not in the list: TPM_RC_VALUE (P1).
        Ok(host, TpmCc.PolicyLocality, s.Handle, [1]);
        Assert.Equal((TpmRc)0x1C4, host.Run(TpmCc.PolicyOR, or, [s.Handle]).Rc);
    }

    [Fact]
    public void Policy_pcr_fails_when_the_pcr_changes()
    {
        var host = new TpmTestHost();
        var selection = Cmd.PcrSelection(TpmAlgId.Sha256, 10);
        var t = SessionClient.Start(host, TpmSe.Trial);
        Ok(host, TpmCc.PolicyPCR, t.Handle, Cmd.Cat(Cmd.Sized([]), selection));
        SetOwnerPolicy(host, GetDigest(host, t.Handle));

        var s = NoAuthValue(SessionClient.Start(host, TpmSe.Policy));
        Ok(host, TpmCc.PolicyPCR, s.Handle, Cmd.Cat(Cmd.Sized([]), selection));
        Assert.Equal(TpmRc.Success, ClockSet(host, s).Rc);

        Ok(host, TpmCc.PolicyPCR, s.Handle, Cmd.Cat(Cmd.Sized([]), selection));
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.PcrExtend, [10], [[]],
            Cmd.Cat(Cmd.U32(1), Cmd.U16((ushort)TpmAlgId.Sha256), Zero32)).Rc);
        Assert.Equal(TpmRc.PcrChanged, ClockSet(host, s).Rc);                         // PCRs changed since PolicyPCR
        Assert.Equal(TpmRc.PcrChanged, host.Run(TpmCc.PolicyPCR, Cmd.Cat(Cmd.Sized([]), selection), [s.Handle]).Rc);
        Ok(host, TpmCc.PolicyRestart, s.Handle);
        Ok(host, TpmCc.PolicyPCR, s.Handle, Cmd.Cat(Cmd.Sized([]), selection));
        Assert.Equal((TpmRc)0x99D, ClockSet(host, s).Rc);                             // other values: POLICY_FAIL
    }

    [Fact]
    public void Policy_secret_with_owner_gives_a_ticket_that_policy_ticket_accepts()
    {
        var host = new TpmTestHost();
        var policyRef = "ref"u8.ToArray();
        var name = SessionClient.HandleName(Owner);
        var expected = H(H(Zero32, Cc(TpmCc.PolicySecret), name), policyRef);

        var s = SessionClient.Start(host, TpmSe.Policy);
        // nonceTPM binds the authorization to this session; expiration -60: a ticket that expires in 60 s.
        var parameters = Cmd.Cat(Cmd.Sized(s.NonceTpm), Cmd.Sized([]), Cmd.Sized(policyRef), Cmd.U32(unchecked((uint)-60)));
        var r = host.RunWithPasswords(TpmCc.PolicySecret, [Owner, s.Handle], [[]], parameters);
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.Equal(expected, GetDigest(host, s.Handle));
        var output = r.SessionParameters();
        Assert.Equal(8, BinaryPrimitives.ReadUInt16BigEndian(output));
        var timeout = output[2..10];
        Assert.Equal(0, timeout[0] & 0x80);                                            // bound to a nonce: not expiresOnReset
        var ticket = output[10..];
        Assert.Equal((ushort)TpmSt.AuthSecret, BinaryPrimitives.ReadUInt16BigEndian(ticket));
        Assert.Equal(Owner, BinaryPrimitives.ReadUInt32BigEndian(ticket.AsSpan(2)));

        var s2 = SessionClient.Start(host, TpmSe.Policy);
        var ticketParameters = Cmd.Cat(Cmd.Sized(timeout), Cmd.Sized([]), Cmd.Sized(policyRef), Cmd.Sized(name), ticket);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.PolicyTicket, ticketParameters, [s2.Handle]).Rc);
        Assert.Equal(expected, GetDigest(host, s2.Handle));
        var forged = (byte[])ticketParameters.Clone();
        forged[^1] ^= 1;
        Assert.Equal((TpmRc)0x5E0, host.Run(TpmCc.PolicyTicket, forged, [s2.Handle]).Rc);   // TICKET + P5
        var otherRef = Cmd.Cat(Cmd.Sized(timeout), Cmd.Sized([]), Cmd.Sized("rfe"u8.ToArray()), Cmd.Sized(name), ticket);
        Assert.Equal((TpmRc)0x5E0, host.Run(TpmCc.PolicyTicket, otherRef, [s2.Handle]).Rc);
    }

    [Fact]
    public void Policy_secret_checks_the_authorization_of_its_entity()
    {
        var host = new TpmTestHost();
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.HierarchyChangeAuth, [Owner], [[]], Cmd.Sized("pw"u8.ToArray())).Rc);
        var s = SessionClient.Start(host, TpmSe.Policy);
        var parameters = Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]), Cmd.Sized([]), Cmd.U32(0));
        Assert.Equal((TpmRc)0x9A2, host.RunWithPasswords(TpmCc.PolicySecret, [Owner, s.Handle], [[]], parameters).Rc);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.PolicySecret, [Owner, s.Handle], ["pw"u8.ToArray()], parameters).Rc);
        Assert.Equal((TpmRc)0x1CF, host.RunWithPasswords(TpmCc.PolicySecret, [Owner, s.Handle], ["pw"u8.ToArray()],
            Cmd.Cat(Cmd.Sized(new byte[32]), Cmd.Sized([]), Cmd.Sized([]), Cmd.U32(0))).Rc);    // NONCE + P1
    }

    [Fact]
    public void Policy_secret_authorized_by_a_policy_without_auth_value_is_mode()
    {
        var host = new TpmTestHost();
        SetOwnerPolicy(host, H(Zero32, Cc(TpmCc.PolicyCommandCode), Cc(TpmCc.PolicySecret)));
        var auth = NoAuthValue(SessionClient.Start(host, TpmSe.Policy));
        Ok(host, TpmCc.PolicyCommandCode, auth.Handle, Cc(TpmCc.PolicySecret));
        var target = SessionClient.Start(host, TpmSe.Policy);
        var parameters = Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]), Cmd.Sized([]), Cmd.U32(0));
        var cp = SessionClient.CpHash(auth.AuthHash, TpmCc.PolicySecret,
            [SessionClient.HandleName(Owner), SessionClient.HandleName(target.Handle)], parameters);
        var r = host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.PolicySecret, [Owner, target.Handle], auth.AuthCommand(cp, 1, Owner, []), parameters));
        Assert.Equal((TpmRc)0x989, r.Rc);                                               // TPM_RC_MODE + S1
    }

    [Fact]
    public void Policy_authorize_accepts_an_approved_policy_with_a_verification_ticket()
    {
        var host = new TpmTestHost();
        var approved = H(Zero32, Cc(TpmCc.PolicyCommandCode), Cc(TpmCc.ClockSet));
        var policyRef = "v1"u8.ToArray();
        var keyName = Cmd.Cat(Cmd.U16((ushort)TpmAlgId.Sha256), SHA256.HashData("some public key"u8));
        // The ticket TPM2_VerifySignature gives for keyName's signature over H(approvedPolicy || policyRef).
        var ticket = host.Tpm.ComputeVerifiedTicket(Owner, TpmAlgId.Sha256, H(approved, policyRef), keyName);
        var authorized = H(H(Zero32, Cc(TpmCc.PolicyAuthorize), keyName), policyRef);
        SetOwnerPolicy(host, authorized);

        var s = NoAuthValue(SessionClient.Start(host, TpmSe.Policy));
        Ok(host, TpmCc.PolicyCommandCode, s.Handle, Cc(TpmCc.ClockSet));
        var parameters = Cmd.Cat(Cmd.Sized(approved), Cmd.Sized(policyRef), Cmd.Sized(keyName),
            Cmd.U16((ushort)TpmSt.Verified), Cmd.U32(Owner), Cmd.Sized(ticket));
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.PolicyAuthorize, parameters, [s.Handle]).Rc);
        Assert.Equal(authorized, GetDigest(host, s.Handle));
        Assert.Equal(TpmRc.Success, ClockSet(host, s).Rc);

        Ok(host, TpmCc.PolicyCommandCode, s.Handle, Cc(TpmCc.ClockSet));
        var wrong = Cmd.Cat(Cmd.Sized(approved), Cmd.Sized("v2"u8.ToArray()), Cmd.Sized(keyName),
            Cmd.U16((ushort)TpmSt.Verified), Cmd.U32(Owner), Cmd.Sized(ticket));
        Assert.Equal((TpmRc)0x4C4, host.Run(TpmCc.PolicyAuthorize, wrong, [s.Handle]).Rc);   // VALUE + P4
    }

    [Fact]
    public void Policy_cp_hash_and_name_hash_bind_the_command()
    {
        var host = new TpmTestHost();
        var parameters = Cmd.U64(1UL << 43);
        var cpHash = SessionClient.CpHash(TpmAlgId.Sha256, TpmCc.ClockSet, [SessionClient.HandleName(Owner)], parameters);
        SetOwnerPolicy(host, H(Zero32, Cc(TpmCc.PolicyCpHash), cpHash));
        var s = NoAuthValue(SessionClient.Start(host, TpmSe.Policy));
        Ok(host, TpmCc.PolicyCpHash, s.Handle, Cmd.Sized(cpHash));
        Assert.Equal((TpmRc)0x99D, ClockSet(host, s, value: 1UL << 44).Rc);
        // A refused authorization leaves the session as it was; the same cpHash may be named again.
        Ok(host, TpmCc.PolicyRestart, s.Handle);
        Ok(host, TpmCc.PolicyCpHash, s.Handle, Cmd.Sized(cpHash));
        Assert.Equal(TpmRc.Success, ClockSet(host, s, value: 1UL << 43).Rc);

        var nameHash = SHA256.HashData(SessionClient.HandleName(Owner));
        SetOwnerPolicy(host, H(Zero32, Cc(TpmCc.PolicyNameHash), nameHash));
        Ok(host, TpmCc.PolicyNameHash, s.Handle, Cmd.Sized(nameHash));
        Assert.Equal(TpmRc.Cphash, host.Run(TpmCc.PolicyCpHash, Cmd.Sized(cpHash), [s.Handle]).Rc);
        Assert.Equal(TpmRc.Success, ClockSet(host, s, value: 1UL << 45).Rc);
    }

    [Fact]
    public void Policy_locality_is_checked_at_authorization()
    {
        var host = new TpmTestHost();
        SetOwnerPolicy(host, H(Zero32, Cc(TpmCc.PolicyLocality), [0x08]));
        var s = NoAuthValue(SessionClient.Start(host, TpmSe.Policy));
        Ok(host, TpmCc.PolicyLocality, s.Handle, [0x08]);
        Assert.Equal(TpmRc.Locality, ClockSet(host, s, locality: 0).Rc);
        Assert.Equal(TpmRc.Success, ClockSet(host, s, locality: 3).Rc);
    }

    [Fact]
    public void Policy_session_that_expired_is_refused()
    {
        var host = new TpmTestHost();
        var s = NoAuthValue(SessionClient.Start(host, TpmSe.Policy));
        // PolicySecret with the session's nonce and expiration 1: the authorization lasts one second.
        var parameters = Cmd.Cat(Cmd.Sized(s.NonceTpm), Cmd.Sized([]), Cmd.Sized([]), Cmd.U32(1));
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.PolicySecret, [Owner, s.Handle], [[]], parameters).Rc);
        SetOwnerPolicy(host, GetDigest(host, s.Handle));
        Thread.Sleep(1200);
        Assert.Equal((TpmRc)0x9A3, ClockSet(host, s).Rc);                               // EXPIRED + S1
    }

    [Fact]
    public void Trial_session_computes_but_never_authorizes()
    {
        var host = new TpmTestHost();
        var t = SessionClient.Start(host, TpmSe.Trial);
        Assert.Equal((TpmRc)0x982, ClockSet(host, NoAuthValue(t)).Rc);
        Assert.Equal((TpmRc)0x182, host.Run(TpmCc.PolicyTicket,
            Cmd.Cat(Cmd.Sized(new byte[8]), Cmd.Sized([]), Cmd.Sized([]), Cmd.Sized([]), Cmd.U16((ushort)TpmSt.AuthSecret), Cmd.U32(Owner), Cmd.Sized([])),
            [t.Handle]).Rc);
    }

    [Fact]
    public void Entity_without_policy_is_auth_unavailable_for_a_policy_session()
    {
        var host = new TpmTestHost();
        var s = NoAuthValue(SessionClient.Start(host, TpmSe.Policy));
        Assert.Equal((TpmRc)0x12F, ClockSet(host, s).Rc);
    }

    [Fact]
    public void Parameter_codes_of_policy_commands()
    {
        var host = new TpmTestHost();
        var s = SessionClient.Start(host, TpmSe.Policy);
        Assert.Equal((TpmRc)0x1D5, host.Run(TpmCc.PolicyOR, Cmd.Cat(Cmd.U32(1), Cmd.Sized(Zero32)), [s.Handle]).Rc);
        Assert.Equal((TpmRc)0x1E4, host.Run(TpmCc.PolicyCommandCode, Cmd.U32(0x11E), [s.Handle]).Rc);     // POLICY_CC + P1
        Ok(host, TpmCc.PolicyCommandCode, s.Handle, Cc(TpmCc.ClockSet));
        Assert.Equal((TpmRc)0x1C4, host.Run(TpmCc.PolicyCommandCode, Cc(TpmCc.GetRandom), [s.Handle]).Rc);
        Assert.Equal((TpmRc)0x1CD, host.Run(TpmCc.PolicyLocality, [0], [s.Handle]).Rc);                      // RANGE + P1
        Ok(host, TpmCc.PolicyLocality, s.Handle, [0x03]);
        Assert.Equal((TpmRc)0x1CD, host.Run(TpmCc.PolicyLocality, [0x04], [s.Handle]).Rc);
        Assert.Equal((TpmRc)0x1CD, host.Run(TpmCc.PolicyLocality, [0x40], [s.Handle]).Rc);
        Assert.Equal((TpmRc)0x1D5, host.Run(TpmCc.PolicyCpHash, Cmd.Sized(new byte[20]), [s.Handle]).Rc);
        Assert.Equal((TpmRc)0x2C4, host.Run(TpmCc.PolicyCounterTimer, Cmd.Cat(Cmd.Sized(new byte[8]), Cmd.U16(26), Cmd.U16(0)), [s.Handle]).Rc);
        Assert.Equal(TpmRc.Range, host.Run(TpmCc.PolicyCounterTimer, Cmd.Cat(Cmd.Sized(new byte[8]), Cmd.U16(20), Cmd.U16(0)), [s.Handle]).Rc);
        Assert.Equal((TpmRc)0x3C4, host.Run(TpmCc.PolicyCounterTimer, Cmd.Cat(Cmd.Sized(new byte[8]), Cmd.U16(0), Cmd.U16(12)), [s.Handle]).Rc);
        Assert.Equal(TpmRc.Policy, host.Run(TpmCc.PolicyCounterTimer, Cmd.Cat(Cmd.Sized(Cmd.U64(ulong.MaxValue)), Cmd.U16(8), Cmd.U16(0)), [s.Handle]).Rc);
        Ok(host, TpmCc.PolicyNvWritten, s.Handle, [1]);
        Assert.Equal((TpmRc)0x1C4, host.Run(TpmCc.PolicyNvWritten, [0], [s.Handle]).Rc);
        Assert.Equal((TpmRc)0x3C3, host.Run(TpmCc.PolicyAuthorize,
            Cmd.Cat(Cmd.Sized(Zero32), Cmd.Sized([]), Cmd.Sized([0]), Cmd.U16((ushort)TpmSt.Verified), Cmd.U32(Owner), Cmd.Sized([])), [s.Handle]).Rc);
        Assert.Equal((TpmRc)0x3D5, host.Run(TpmCc.PolicyAuthorize,
            Cmd.Cat(Cmd.Sized(Zero32), Cmd.Sized([]), Cmd.Sized(Cmd.Cat(Cmd.U16(0x0B), new byte[20])), Cmd.U16((ushort)TpmSt.Verified), Cmd.U32(Owner), Cmd.Sized([])), [s.Handle]).Rc);
        Assert.Equal((TpmRc)0x4D7, host.Run(TpmCc.PolicyAuthorize,
            Cmd.Cat(Cmd.Sized(Zero32), Cmd.Sized([]), Cmd.Sized(Cmd.Cat(Cmd.U16(0x0B), Zero32)), Cmd.U16((ushort)TpmSt.AuthSecret), Cmd.U32(Owner), Cmd.Sized([])), [s.Handle]).Rc);
        var h = SessionClient.Start(host);
        Assert.Equal((TpmRc)0x184, host.Run(TpmCc.PolicyGetDigest, handles: [h.Handle]).Rc);
    }

    [Fact]
    public void Policy_nv_compares_index_data_and_hashes_the_index_name()
    {
        var host = new TpmTestHost();
        const uint index = 0x01500020;
        // OWNERWRITE | AUTHWRITE | OWNERREAD | AUTHREAD | NO_DA, 8 octets.
        var nvPublic = Cmd.Cat(Cmd.U32(index), Cmd.U16((ushort)TpmAlgId.Sha256), Cmd.U32((1u << 1) | (1u << 2) | (1u << 17) | (1u << 18) | (1u << 25)),
            Cmd.Sized([]), Cmd.U16(8));
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.NvDefineSpace, [Owner], [[]], Cmd.Cat(Cmd.Sized([]), Cmd.Sized(nvPublic))).Rc);
        var s = SessionClient.Start(host, TpmSe.Policy);
        var eq5 = Cmd.Cat(Cmd.Sized(Cmd.U64(5)), Cmd.U16(0), Cmd.U16(0));
        Assert.Equal(TpmRc.NvUninitialized, host.RunWithPasswords(TpmCc.PolicyNV, [Owner, index, s.Handle], [[]], eq5).Rc);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.NvWrite, [Owner, index], [[]], Cmd.Cat(Cmd.Sized(Cmd.U64(5)), Cmd.U16(0))).Rc);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.PolicyNV, [Owner, index, s.Handle], [[]], eq5).Rc);
        Assert.Equal(TpmRc.Policy, host.RunWithPasswords(TpmCc.PolicyNV, [Owner, index, s.Handle], [[]],
            Cmd.Cat(Cmd.Sized(Cmd.U64(5)), Cmd.U16(0), Cmd.U16(5))).Rc);                                   // 5 < 5 fails
        Assert.Equal((TpmRc)0x2C4, host.RunWithPasswords(TpmCc.PolicyNV, [Owner, index, s.Handle], [[]],
            Cmd.Cat(Cmd.Sized([5]), Cmd.U16(9), Cmd.U16(0))).Rc);
        Assert.Equal((TpmRc)0x1D5, host.RunWithPasswords(TpmCc.PolicyNV, [Owner, index, s.Handle], [[]],
            Cmd.Cat(Cmd.Sized([0, 0, 0]), Cmd.U16(6), Cmd.U16(0))).Rc);

        // policyDigest = H(0 || TPM_CC_PolicyNV || H(operandB || offset || operation) || Name of the index).
        var readPublic = host.Run(TpmCc.NvReadPublic, handles: [index]);
        var body = readPublic.Body;
        int publicSize = BinaryPrimitives.ReadUInt16BigEndian(body);
        var name = body[(2 + publicSize + 2)..];
        var args = SHA256.HashData(Cmd.Cat(Cmd.U64(5), Cmd.U16(0), Cmd.U16(0)));
        Assert.Equal(H(Zero32, Cc(TpmCc.PolicyNV), args, name), GetDigest(host, s.Handle));
    }

    [Fact]
    public void Policy_template_duplication_select_and_authorize_nv()
    {
        var host = new TpmTestHost();
        var t = SessionClient.Start(host, TpmSe.Trial);
        var template = Enumerable.Repeat((byte)1, 32).ToArray();
        Assert.Equal((TpmRc)0x1D5, host.Run(TpmCc.PolicyTemplate, Cmd.Sized(new byte[20]), [t.Handle]).Rc);
        Ok(host, TpmCc.PolicyTemplate, t.Handle, Cmd.Sized(template));
        Assert.Equal((TpmRc)0x1C4, host.Run(TpmCc.PolicyTemplate, Cmd.Sized(new byte[32]), [t.Handle]).Rc);
        Assert.Equal(H(Zero32, Cc(TpmCc.PolicyTemplate), template), GetDigest(host, t.Handle));
        Assert.Equal(TpmRc.Cphash, host.Run(TpmCc.PolicyNameHash, Cmd.Sized(new byte[32]), [t.Handle]).Rc);

        Ok(host, TpmCc.PolicyRestart, t.Handle);
        var objectName = Cmd.Cat(Cmd.U16((ushort)TpmAlgId.Sha256), Enumerable.Repeat((byte)3, 32).ToArray());
        var parentName = Cmd.Cat(Cmd.U16((ushort)TpmAlgId.Sha256), Enumerable.Repeat((byte)4, 32).ToArray());
        Ok(host, TpmCc.PolicyDuplicationSelect, t.Handle, Cmd.Cat(Cmd.Sized(objectName), Cmd.Sized(parentName), [1]));
        Assert.Equal(H(Zero32, Cc(TpmCc.PolicyDuplicationSelect), objectName, parentName, [1]), GetDigest(host, t.Handle));
        Assert.Equal(TpmRc.Cphash, host.Run(TpmCc.PolicyDuplicationSelect, Cmd.Cat(Cmd.Sized(objectName), Cmd.Sized(parentName), [0]), [t.Handle]).Rc);
        Ok(host, TpmCc.PolicyRestart, t.Handle);
        Ok(host, TpmCc.PolicyCommandCode, t.Handle, Cc(TpmCc.ClockSet));
        Assert.Equal(TpmRc.CommandCode, host.Run(TpmCc.PolicyDuplicationSelect, Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]), [0]), [t.Handle]).Rc);

        // PolicyAuthorizeNV: the approved policy is a TPMT_HA in an NV index.
        const uint index = 0x01500021;
        var nvPublic = Cmd.Cat(Cmd.U32(index), Cmd.U16((ushort)TpmAlgId.Sha256), Cmd.U32((1u << 1) | (1u << 2) | (1u << 17) | (1u << 18) | (1u << 25)),
            Cmd.Sized([]), Cmd.U16(34));
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.NvDefineSpace, [Owner], [[]], Cmd.Cat(Cmd.Sized([]), Cmd.Sized(nvPublic))).Rc);
        var s = SessionClient.Start(host, TpmSe.Policy);
        Assert.Equal(TpmRc.NvUninitialized, host.RunWithPasswords(TpmCc.PolicyAuthorizeNV, [Owner, index, s.Handle], [[]]).Rc);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.NvWrite, [Owner, index], [[]],
            Cmd.Cat(Cmd.Sized(Cmd.Cat(Cmd.U16((ushort)TpmAlgId.Sha256), Enumerable.Repeat((byte)5, 32).ToArray())), Cmd.U16(0))).Rc);
        Assert.Equal(TpmRc.Value, host.RunWithPasswords(TpmCc.PolicyAuthorizeNV, [Owner, index, s.Handle], [[]]).Rc);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.NvWrite, [Owner, index], [[]],
            Cmd.Cat(Cmd.Sized(Cmd.Cat(Cmd.U16((ushort)TpmAlgId.Sha256), Zero32)), Cmd.U16(0))).Rc);
        Assert.Equal(TpmRc.Success, host.RunWithPasswords(TpmCc.PolicyAuthorizeNV, [Owner, index, s.Handle], [[]]).Rc);
        var body = host.Run(TpmCc.NvReadPublic, handles: [index]).Body;
        var name = body[(2 + BinaryPrimitives.ReadUInt16BigEndian(body) + 2)..];
        Assert.Equal(H(Zero32, Cc(TpmCc.PolicyAuthorizeNV), name), GetDigest(host, s.Handle));
    }

    [Fact]
    public void Policy_parameters_binds_the_parameters_whatever_the_handles()
    {
        var host = new TpmTestHost();
        var parameters = Cmd.U64(1UL << 46);
        var pHash = SHA256.HashData(Cmd.Cat(Cc(TpmCc.ClockSet), parameters));
        SetOwnerPolicy(host, H(Zero32, Cc(TpmCc.PolicyParameters), pHash));
        var s = NoAuthValue(SessionClient.Start(host, TpmSe.Policy));
        Assert.Equal((TpmRc)0x1D5, host.Run(TpmCc.PolicyParameters, Cmd.Sized(new byte[20]), [s.Handle]).Rc);
        Ok(host, TpmCc.PolicyParameters, s.Handle, Cmd.Sized(pHash));
        Assert.Equal(TpmRc.Cphash, host.Run(TpmCc.PolicyCpHash, Cmd.Sized(pHash), [s.Handle]).Rc);
        Assert.Equal((TpmRc)0x99D, ClockSet(host, s, value: 1UL << 47).Rc);
        Assert.Equal(TpmRc.Success, ClockSet(host, s, value: 1UL << 46).Rc);
    }

    [Fact]
    public void Policy_capability_compares_one_capability_entry()
    {
        var host = new TpmTestHost();
        var s = SessionClient.Start(host, TpmSe.Policy);
        byte[] Args(byte[] operandB, ushort offset, ushort operation, TpmCap capability, uint property) =>
            Cmd.Cat(Cmd.Sized(operandB), Cmd.U16(offset), Cmd.U16(operation), Cmd.U32((uint)capability), Cmd.U32(property));
        // TPM_PT_PCR_COUNT is 24: its TPMS_TAGGED_PROPERTY is property (4 octets) || value (4 octets).
        var pcrCount = Args(Cmd.U32(24), 4, 0, TpmCap.TpmProperties, (uint)TpmPt.PcrCount);
        Ok(host, TpmCc.PolicyCapability, s.Handle, pcrCount);
        var argHash = SHA256.HashData(Cmd.Cat(Cmd.U32(24), Cmd.U16(4), Cmd.U16(0), Cmd.U32((uint)TpmCap.TpmProperties), Cmd.U32((uint)TpmPt.PcrCount)));
        Assert.Equal(H(Zero32, Cc(TpmCc.PolicyCapability), argHash), GetDigest(host, s.Handle));
        Assert.Equal(TpmRc.Policy, host.Run(TpmCc.PolicyCapability, Args(Cmd.U32(24), 4, 1, TpmCap.TpmProperties, (uint)TpmPt.PcrCount), [s.Handle]).Rc);
        // The owner handle is listed; a handle of an unlisted type is TPM_RC_HANDLE (P5).
        Ok(host, TpmCc.PolicyCapability, s.Handle, Args(Cmd.U32(Owner), 0, 0, TpmCap.Handles, Owner));
        Assert.Equal((TpmRc)0x5CB, host.Run(TpmCc.PolicyCapability, Args([], 0, 0, TpmCap.Handles, 0x41000000), [s.Handle]).Rc);
        // No such entry: only NEQ holds.
        Assert.Equal(TpmRc.Policy, host.Run(TpmCc.PolicyCapability, Args([0], 0, 0, TpmCap.Handles, 0x80000002), [s.Handle]).Rc);
        Ok(host, TpmCc.PolicyCapability, s.Handle, Args([0], 0, 1, TpmCap.Handles, 0x80000002));
        Assert.Equal((TpmRc)0x4C4, host.Run(TpmCc.PolicyCapability, Args([], 0, 0, TpmCap.VendorProperty, 0), [s.Handle]).Rc);
        Assert.Equal((TpmRc)0x2C4, host.Run(TpmCc.PolicyCapability, Args([], 9, 0, TpmCap.TpmProperties, (uint)TpmPt.PcrCount), [s.Handle]).Rc);
        Assert.Equal((TpmRc)0x1D5, host.Run(TpmCc.PolicyCapability, Args(new byte[5], 4, 0, TpmCap.TpmProperties, (uint)TpmPt.PcrCount), [s.Handle]).Rc);
    }

    [Fact]
    public void Policy_template_authorizes_create_primary_with_that_template_only()
    {
        var host = new TpmTestHost();
        // TPMT_PUBLIC of an ECC P-256 storage key: fixedTPM, fixedParent, sensitiveDataOrigin, userWithAuth,
        // noDA, restricted, decrypt; AES-128-CFB; no scheme; no KDF; empty unique.
        byte[] Template(ushort aesBits) => Cmd.Cat(Cmd.U16((ushort)TpmAlgId.Ecc), Cmd.U16((ushort)TpmAlgId.Sha256), Cmd.U32(0x00030472),
            Cmd.Sized([]), Cmd.U16((ushort)TpmAlgId.Aes), Cmd.U16(aesBits), Cmd.U16((ushort)TpmAlgId.Cfb), Cmd.U16((ushort)TpmAlgId.Null),
            Cmd.U16((ushort)TpmEccCurve.NistP256), Cmd.U16((ushort)TpmAlgId.Null), Cmd.Sized([]), Cmd.Sized([]));
        byte[] CreatePrimary(byte[] template) => Cmd.Cat(Cmd.Sized(Cmd.Cat(Cmd.Sized([]), Cmd.Sized([]))), Cmd.Sized(template), Cmd.Sized([]), Cmd.U32(0));
        var template = Template(128);
        var templateHash = SHA256.HashData(template);
        SetOwnerPolicy(host, H(Zero32, Cc(TpmCc.PolicyTemplate), templateHash));

        Response Run(SessionClient s, byte[] parameters)
        {
            var cp = SessionClient.CpHash(s.AuthHash, TpmCc.CreatePrimary, [SessionClient.HandleName(Owner)], parameters);
            return host.Send(Cmd.Build(TpmSt.Sessions, TpmCc.CreatePrimary, [Owner], s.AuthCommand(cp, 1, Owner, []), parameters));
        }
        var s = NoAuthValue(SessionClient.Start(host, TpmSe.Policy));
        Ok(host, TpmCc.PolicyTemplate, s.Handle, Cmd.Sized(templateHash));
        Assert.Equal((TpmRc)0x99D, Run(s, CreatePrimary(Template(256))).Rc);             // another template: POLICY_FAIL
        var r = Run(s, CreatePrimary(template));
        Assert.Equal(TpmRc.Success, r.Rc);
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.FlushContext, Cmd.U32(BinaryPrimitives.ReadUInt32BigEndian(r.Body))).Rc);
    }
}
