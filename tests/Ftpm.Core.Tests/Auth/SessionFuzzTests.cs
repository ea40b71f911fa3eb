namespace Ftpm.Tests.Auth;

/// <summary>Random input to the session, policy, hierarchy and DA commands, with live sessions in the
/// authorization area and as handles: the TPM must answer every command with a response code and never
/// enter failure mode (an exception in the engine).</summary>
public class SessionFuzzTests
{
    static readonly TpmCc[] Codes =
    [
        TpmCc.StartAuthSession, TpmCc.PolicyRestart, TpmCc.PolicySigned, TpmCc.PolicySecret, TpmCc.PolicyTicket,
        TpmCc.PolicyOR, TpmCc.PolicyPCR, TpmCc.PolicyLocality, TpmCc.PolicyNV, TpmCc.PolicyCounterTimer,
        TpmCc.PolicyCommandCode, TpmCc.PolicyPhysicalPresence, TpmCc.PolicyCpHash, TpmCc.PolicyNameHash,
        TpmCc.PolicyDuplicationSelect, TpmCc.PolicyAuthorize, TpmCc.PolicyAuthValue, TpmCc.PolicyPassword,
        TpmCc.PolicyGetDigest, TpmCc.PolicyNvWritten, TpmCc.PolicyTemplate, TpmCc.PolicyAuthorizeNV,
        TpmCc.HierarchyControl, TpmCc.SetPrimaryPolicy, TpmCc.ClearControl, TpmCc.HierarchyChangeAuth,
        TpmCc.DictionaryAttackLockReset, TpmCc.DictionaryAttackParameters, TpmCc.SetCommandCodeAuditStatus,
        TpmCc.ContextSave, TpmCc.ContextLoad, TpmCc.FlushContext, TpmCc.PcrSetAuthPolicy, TpmCc.PcrSetAuthValue,
        TpmCc.Hash, TpmCc.GetRandom, TpmCc.PcrEvent, TpmCc.ClockSet,
    ];

    [Fact]
    public void Random_parameters_and_sessions_never_put_the_tpm_in_failure_mode()
    {
        var host = new TpmTestHost();
        var rng = new System.Random(4242);
        var hmac = SessionClient.Start(host, sym: TpmAlgId.Aes, symBits: 128);
        var xor = SessionClient.Start(host, sym: TpmAlgId.Xor, symBits: (ushort)TpmAlgId.Sha256, bind: 0x40000001);
        var policy = SessionClient.Start(host, TpmSe.Policy);
        uint[] handles = [0x40000001, 0x4000000A, 0x4000000B, 0x4000000C, 0x40000007, 16, 20, hmac.Handle, xor.Handle, policy.Handle, 0x01500001, 0x80000000];
        uint[] sessionHandles = [0x40000009, hmac.Handle, xor.Handle, policy.Handle, 0x02000005];

        for (int i = 0; i < 4000; i++)
        {
            var code = Codes[rng.Next(Codes.Length)];
            int handleCount = rng.Next(0, 4);
            var h = new uint[handleCount];
            for (int k = 0; k < handleCount; k++) h[k] = handles[rng.Next(handles.Length)];
            var parameters = new byte[rng.Next(0, 80)];
            rng.NextBytes(parameters);
            // Often a plausible TPM2B first.
            if (parameters.Length >= 2 && rng.Next(2) == 0) { parameters[0] = 0; parameters[1] = (byte)rng.Next(0, parameters.Length); }
            byte[]? area = null;
            if (rng.Next(3) != 0)
            {
                var sessions = new List<byte>();
                int count = rng.Next(1, 4);
                for (int k = 0; k < count; k++)
                {
                    uint sh = sessionHandles[rng.Next(sessionHandles.Length)];
                    var nonce = sh == 0x40000009 ? [] : new byte[rng.Next(0, 40)];
                    rng.NextBytes(nonce);
                    var mac = new byte[rng.Next(0, 40)];
                    rng.NextBytes(mac);
                    byte attributes = (byte)(rng.Next(256) & ~0x18);
                    sessions.AddRange(Cmd.Cat(Cmd.U32(sh), Cmd.Sized(nonce), [attributes], Cmd.Sized(mac)));
                }
                area = sessions.ToArray();
            }
            var command = Cmd.Build(area is null ? TpmSt.NoSessions : TpmSt.Sessions, code, h, area, parameters);
            var r = host.Send(command, locality: (byte)rng.Next(0, 5));
            Assert.NotEqual(TpmRc.Failure, r.Rc);

            // Keep sessions around: restart them when a command flushed them.
            if (i % 200 == 199)
            {
                foreach (var s in new[] { hmac, xor, policy }) host.Run(TpmCc.FlushContext, Cmd.U32(s.Handle));
                hmac = SessionClient.Start(host, sym: TpmAlgId.Aes, symBits: 128);
                xor = SessionClient.Start(host, sym: TpmAlgId.Xor, symBits: (ushort)TpmAlgId.Sha256, bind: 0x40000001);
                policy = SessionClient.Start(host, TpmSe.Policy);
            }
        }
        Assert.Equal(TpmRc.Success, host.Run(TpmCc.GetRandom, Cmd.U16(4)).Rc);
    }
}
