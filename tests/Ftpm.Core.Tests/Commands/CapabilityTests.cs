using Ftpm.Marshal;
using static Ftpm.Tests.Commands.CapabilityTestHelpers;

namespace Ftpm.Tests.Commands;

/// <summary>TPM2_GetCapability (Part 3, 30.2): every capability, paging and error codes.</summary>
public class CapabilityTests
{
    readonly Tpm _tpm = StartedTpm();

    string Cap(TpmCap capability, uint property, uint count) => GetCapability(_tpm, capability, property, count);

    // ---- Parameters ---------------------------------------------------------------------------

    [Theory]
    [InlineData(0x0000000Du)]    // past TPM_CAP_LAST
    [InlineData(0x000000FFu)]
    [InlineData(0x00000100u)]    // TPM_CAP_VENDOR_PROPERTY: defined, not implemented
    [InlineData(0x0000000Bu)]    // TPM_CAP_PUB_KEYS: no SPDM secure channel
    [InlineData(0x0000000Cu)]    // TPM_CAP_SPDM_SESSION_INFO
    public void UnsupportedCapabilityIsValueAtP1(uint capability)
    {
        var response = Run(_tpm, TpmCc.GetCapability, $"{capability:X8}00000000 00000001");
        Assert.Equal("80010000000A000001C4", response);
    }

    [Fact]
    public void MissingPropertyCountIsInsufficientAtP3() =>
        Assert.Equal((TpmRc)0x3DA, Rc(Run(_tpm, TpmCc.GetCapability, "00000000 00000000")));

    [Fact]
    public void LeftoverOctetsAreSize() =>
        Assert.Equal(TpmRc.Size, Rc(Run(_tpm, TpmCc.GetCapability, "00000000 00000000 00000001 00")));

    // ---- TPM_CAP_ALGS -------------------------------------------------------------------------

    const string AllAlgs =
        "0001 00000009" +   // RSA: asymmetric, object
        "0004 00000004" +   // SHA1: hash
        "0005 00000104" +   // HMAC: hash, signing
        "0006 00000002" +   // AES: symmetric
        "0007 00000404" +   // MGF1: hash, method
        "0008 0000030C" +   // KEYEDHASH: hash, object, signing, encrypting
        "000A 00000006" +   // XOR: symmetric, hash
        "000B 00000004" +   // SHA256
        "000C 00000004" +   // SHA384
        "000D 00000004" +   // SHA512
        "0014 00000101" +   // RSASSA: asymmetric, signing
        "0015 00000201" +   // RSAES: asymmetric, encrypting
        "0016 00000101" +   // RSAPSS
        "0017 00000201" +   // OAEP
        "0018 00000501" +   // ECDSA: asymmetric, signing, method
        "0019 00000401" +   // ECDH: asymmetric, method
        "001A 00000101" +   // ECDAA: asymmetric, signing
        "001C 00000101" +   // ECSCHNORR: asymmetric, signing
        "001D 00000401" +   // ECMQV: asymmetric, method
        "001F 00000404" +   // HKDF (v185, the ECC KEM's KDF): hash, method
        "0020 00000404" +   // KDF1_SP800_56A: hash, method
        "0021 00000404" +   // KDF2 (ECC_Encrypt): hash, method
        "0022 00000404" +   // KDF1_SP800_108: hash, method
        "0023 00000009" +   // ECC: asymmetric, object
        "0025 00000008" +   // SYMCIPHER: object
        "003F 00000102" +   // CMAC: symmetric, signing
        "0040 00000202" +   // CTR: symmetric, encrypting
        "0041 00000202" +   // OFB
        "0042 00000202" +   // CBC
        "0043 00000202" +   // CFB
        "0044 00000202" +   // ECB
        "00A0 00000209" +   // MLKEM (v185): asymmetric, object, encrypting
        "00A1 00000109" +   // MLDSA (v185): asymmetric, object, signing
        "00A2 00000109";    // HASH_MLDSA (v185): asymmetric, object, signing

    [Fact]
    public void AlgsListsTheImplementedAlgorithms() =>
        Assert.Equal(Hex("00 00000000 00000022" + AllAlgs), Cap(TpmCap.Algs, 0, 1000));

    [Fact]
    public void AlgsPages()
    {
        Assert.Equal(Hex("01 00000000 00000001 0001 00000009"), Cap(TpmCap.Algs, 0, 1));
        Assert.Equal(Hex("01 00000000 00000002 0005 00000104 0006 00000002"), Cap(TpmCap.Algs, 0x0005, 2));
        Assert.Equal(Hex("01 00000000 00000001 0022 00000404"), Cap(TpmCap.Algs, 0x0022, 1));
        Assert.Equal(Hex("01 00000000 00000001 0044 00000202"), Cap(TpmCap.Algs, 0x0044, 1));
        Assert.Equal(Hex("01 00000000 00000001 00A0 00000209"), Cap(TpmCap.Algs, 0x0045, 1));
        Assert.Equal(Hex("00 00000000 00000001 00A2 00000109"), Cap(TpmCap.Algs, 0x00A2, 1));
        Assert.Equal(Hex("00 00000000 00000000"), Cap(TpmCap.Algs, 0x00A3, 1));
    }

    [Fact]
    public void AlgsCountZeroReportsMore() =>
        Assert.Equal(Hex("01 00000000 00000000"), Cap(TpmCap.Algs, 0, 0));

    // ---- TPM_CAP_HANDLES ----------------------------------------------------------------------

    [Fact]
    public void HandlesListsEveryPcr()
    {
        var expected = "00 00000001 00000018";
        for (int pcr = 0; pcr < 24; pcr++) expected += pcr.ToString("X8");
        Assert.Equal(Hex(expected), Cap(TpmCap.Handles, 0, 254));
        Assert.Equal(Hex("01 00000001 00000002 00000014 00000015"), Cap(TpmCap.Handles, 0x14, 2));
        Assert.Equal(Hex("00 00000001 00000002 00000016 00000017"), Cap(TpmCap.Handles, 0x16, 2));
    }

    [Fact]
    public void HandlesListsThePermanentHandles()
    {
        // ... then the implemented ACTs, TPM_RH_ACT_0 and TPM_RH_ACT_A.
        Assert.Equal(Hex("00 00000001 00000009 40000001 40000007 40000009 4000000A 4000000B 4000000C 4000000D 40000110 4000011A"),
            Cap(TpmCap.Handles, 0x40000000, 100));
        Assert.Equal(Hex("01 00000001 00000001 4000000A"), Cap(TpmCap.Handles, 0x4000000A, 1));
        Assert.Equal(Hex("01 00000001 00000001 4000000D"), Cap(TpmCap.Handles, 0x4000000D, 1));
        Assert.Equal(Hex("00 00000001 00000001 4000011A"), Cap(TpmCap.Handles, 0x40000111, 5));
    }

    [Fact]
    public void HandlesListsLoadedObjects()
    {
        Assert.Equal(Hex("00 00000001 00000000"), Cap(TpmCap.Handles, 0x80000000, 10));
        // HashSequenceStart(auth empty, SHA256) loads a sequence object.
        Assert.Equal("80010000000E0000000080000000", Run(_tpm, TpmCc.HashSequenceStart, "0000 000B"));
        Assert.Equal(Hex("00 00000001 00000001 80000000"), Cap(TpmCap.Handles, 0x80000000, 10));
        Assert.Equal(Hex("00 00000001 00000000"), Cap(TpmCap.Handles, 0x80000001, 10));
    }

    [Theory]
    [InlineData(0x01000000u)]   // NV indices
    [InlineData(0x02000000u)]   // loaded sessions
    [InlineData(0x03000000u)]   // saved sessions
    [InlineData(0x81000000u)]   // persistent objects
    public void HandleListsNotYetPopulatedAreEmpty(uint property) =>
        Assert.Equal(Hex("00 00000001 00000000"), Cap(TpmCap.Handles, property, 10));

    [Theory]
    [InlineData(0x41000000u)]
    [InlineData(0x90000000u)]
    [InlineData(0xFF000000u)]
    public void HandlesOfAnotherTypeIsHandleAtP2(uint property) =>
        Assert.Equal("80010000000A000002CB", Run(_tpm, TpmCc.GetCapability, $"00000001 {property:X8} 00000001"));

    // ---- TPM_CAP_COMMANDS, PP_COMMANDS, AUDIT_COMMANDS ---------------------------------------

    [Fact]
    public void CommandsGiveTpmaCc()
    {
        // NV_UndefineSpaceSpecial (0x11F), the lowest code: nv, two handles. EvictControl (0x120): nv, two handles.
        Assert.Equal(Hex("01 00000002 00000001 0440011F"), Cap(TpmCap.Commands, 0, 1));
        Assert.Equal(Hex("01 00000002 00000001 04400120"), Cap(TpmCap.Commands, 0x120, 1));
        // ClockSet (0x128): nv, one handle. HierarchyChangeAuth (0x129), then NV_DefineSpace (0x12A).
        Assert.Equal(Hex("01 00000002 00000001 02400128"), Cap(TpmCap.Commands, 0x128, 1));
        Assert.Equal(Hex("01 00000002 00000001 02400129"), Cap(TpmCap.Commands, 0x129, 1));
        Assert.Equal(Hex("01 00000002 00000001 0240012A"), Cap(TpmCap.Commands, 0x12A, 1));
        // EventSequenceComplete: flushed, two handles; HashSequenceStart: rHandle.
        Assert.Equal(Hex("01 00000002 00000002 05000185 10000186"), Cap(TpmCap.Commands, 0x185, 2));
        // GetCapability and TestParms are listed.
        Assert.Contains("0000017A", Cap(TpmCap.Commands, 0x17A, 1));
        // Commit (0x18B, one handle), PolicyPassword, ZGen_2Phase (0x18D, one handle), EC_Ephemeral
        // (0x18E, none), PolicyNvWritten, PolicyTemplate (one handle each), CreateLoaded (0x191): one handle
        // and rHandle, PolicyAuthorizeNV (three), EncryptDecrypt2 (0x193), PolicyCapability (0x19B),
        // PolicyParameters (0x19C): one handle each. Policy_AC_SendSelect (0x196), CertifyX509 (0x197, two) and
        // the 1.84 commands: ACT_SetTimeout, ECC_Encrypt, ECC_Decrypt (one handle each), NV_DefineSpace2 (nv,
        // one handle), NV_ReadPublic2 (one handle), ReadOnlyControl (nv, one handle), PolicyTransportSPDM (one
        // handle), then the v185 commands and Vendor_TCG_Test (V, no handle), the last.
        Assert.Equal(Hex("01 00000002 00000016 0000018A 0200018B 0200018C 0200018D 0000018E 0200018F 02000190 12000191 06000192 02000193"
            + " 02000196 04000197 02000198 02000199 0200019A 0200019B 0200019C 0240019D 0200019E 024001A0 020001A1 050001A3"), Cap(TpmCap.Commands, 0x18A, 22));
        Assert.Equal(Hex("01 00000002 00000001 0000018A"), Cap(TpmCap.Commands, 0x18A, 1));
        // v185: VerifySequenceComplete and SignSequenceComplete (flushed, two handles), VerifyDigestSignature,
        // SignDigest, Encapsulate and Decapsulate (one handle each), VerifySequenceStart and SignSequenceStart
        // (one handle, rHandle).
        Assert.Equal(Hex("00 00000002 00000009 050001A3 050001A4 020001A5 020001A6 020001A7 020001A8 120001A9 120001AA 20000000"),
            Cap(TpmCap.Commands, 0x1A2, 20));
        // ECC_Parameters (0x178): no handle.
        Assert.Equal(Hex("01 00000002 00000001 00000178"), Cap(TpmCap.Commands, 0x178, 1));
    }

    [Fact]
    public void CommandsCountMatchesTotalCommands()
    {
        var all = Cap(TpmCap.Commands, 0, 1000);
        Assert.Equal("00", all[..2]);
        uint count = Convert.ToUInt32(all.Substring(10, 8), 16);
        Assert.Equal(8 + 8 * (int)count + 10, all.Length);
        // TOTAL_COMMANDS counts Vendor_TCG_Test, LIBRARY_COMMANDS does not.
        Assert.Equal(Hex($"01 00000006 00000002 00000129 {count:X8} 0000012A {count - 1:X8}"), Cap(TpmCap.TpmProperties, 0x129, 2));
    }

    [Fact]
    public void OnlyPpCommandsNeedsPhysicalPresenceAndOnlySetCommandCodeAuditStatusIsAudited()
    {
        Assert.Equal(Hex("00 00000003 00000001 0000012D"), Cap(TpmCap.PpCommands, 0, 100));
        Assert.Equal(Hex("00 00000004 00000001 00000140"), Cap(TpmCap.AuditCommands, 0, 100));
    }

    // ---- TPM_CAP_PCRS -------------------------------------------------------------------------

    [Fact]
    public void PcrsGiveTheAllocation() =>
        Assert.Equal(Hex("00 00000005 00000004 0004 03 FFFFFF 000B 03 FFFFFF 000C 03 FFFFFF 000D 03 FFFFFF"),
            Cap(TpmCap.Pcrs, 0, 1));

    [Fact]
    public void PcrsWithCountZeroIsEmptyWithMore() =>
        Assert.Equal(Hex("01 00000005 00000000"), Cap(TpmCap.Pcrs, 0, 0));

    [Fact]
    public void PcrsWithAPropertyIsValueAtP2() =>
        Assert.Equal("80010000000A000002C4", Run(_tpm, TpmCc.GetCapability, "00000005 00000001 00000001"));

    // ---- TPM_CAP_TPM_PROPERTIES ---------------------------------------------------------------

    [Fact]
    public void FixedPropertiesStartAtFamilyIndicator()
    {
        Assert.Equal(Hex("01 00000006 00000001 00000100 322E3000"), Cap(TpmCap.TpmProperties, 0, 1));
        Assert.Equal(Hex("01 00000006 00000003 00000100 322E3000 00000101 00000000 00000102 000000B8"),
            Cap(TpmCap.TpmProperties, 0x100, 3));
        Assert.Equal(Hex("01 00000006 00000002 00000105 4654504D 00000106 6674706D"), Cap(TpmCap.TpmProperties, 0x105, 2));
    }

    [Fact]
    public void FixedPropertiesEndAtTheirGroup()
    {
        var fixedGroup = Cap(TpmCap.TpmProperties, 0x100, 1000);
        Assert.Equal("00", fixedGroup[..2]);
        Assert.Equal(47u, Convert.ToUInt32(fixedGroup.Substring(10, 8), 16));   // 0x100..0x12E but 0x115, and 0x131
        Assert.EndsWith("000001310000007F", fixedGroup);
        Assert.Equal(Hex("00 00000006 00000002 0000012E 00000400 00000131 0000007F"), Cap(TpmCap.TpmProperties, 0x12E, 10));
        Assert.Equal(Hex("00 00000006 00000001 00000131 0000007F"), Cap(TpmCap.TpmProperties, 0x12F, 10));
        Assert.Equal(Hex("00 00000006 00000000"), Cap(TpmCap.TpmProperties, 0x132, 10));
    }

    [Theory]
    [InlineData(0x10Du, 0x400u)]      // INPUT_BUFFER
    [InlineData(0x10Eu, 3u)]          // HR_TRANSIENT_MIN
    [InlineData(0x112u, 24u)]         // PCR_COUNT
    [InlineData(0x113u, 3u)]          // PCR_SELECT_MIN
    [InlineData(0x114u, 0xFFFFu)]     // CONTEXT_GAP_MAX
    [InlineData(0x118u, 6u)]          // MEMORY: sharedNV, objectCopiedToRam
    [InlineData(0x119u, 0x400000u)]   // CLOCK_UPDATE: 2^22 ms
    [InlineData(0x11Au, 0x000Bu)]     // CONTEXT_HASH
    [InlineData(0x11Eu, 8192u)]       // MAX_COMMAND_SIZE
    [InlineData(0x11Fu, 8192u)]       // MAX_RESPONSE_SIZE
    [InlineData(0x120u, 64u)]         // MAX_DIGEST
    [InlineData(0x125u, 0x105u)]      // PS_REVISION
    [InlineData(0x12Bu, 1u)]          // VENDOR_COMMANDS: Vendor_TCG_Test
    [InlineData(0x12Eu, 1024u)]       // MAX_CAP_BUFFER
    [InlineData(0x131u, 0x7Fu)]       // ML_PARAMETER_SETS (v185): every ML-KEM and ML-DSA set, extMu
    [InlineData(0x200u, 0x400u)]      // PERMANENT: tpmGeneratedEPS
    [InlineData(0x201u, 0xFu)]        // STARTUP_CLEAR: every hierarchy enabled
    [InlineData(0x207u, 3u)]          // HR_TRANSIENT_AVAIL
    [InlineData(0x20Fu, 3u)]          // MAX_AUTH_FAIL
    public void PropertyValues(uint property, uint value)
    {
        string more = property == 0x131 ? "00" : "01";   // ML_PARAMETER_SETS (v185) is the last fixed property
        Assert.Equal(Hex($"{more} 00000006 00000001 {property:X8} {value:X8}"), Cap(TpmCap.TpmProperties, property, 1));
    }

    [Fact]
    public void VariablePropertiesFollowState()
    {
        var variable = Cap(TpmCap.TpmProperties, 0x200, 1000);
        Assert.Equal(Hex("00 00000006 00000015"), variable[..18]);        // 0x200..0x214
        Assert.Equal(Hex("01 00000006 00000001 00000207 00000003"), Cap(TpmCap.TpmProperties, 0x207, 1));
        Run(_tpm, TpmCc.HashSequenceStart, "0000 000B");
        Assert.Equal(Hex("01 00000006 00000001 00000207 00000002"), Cap(TpmCap.TpmProperties, 0x207, 1));
        Assert.Equal(Hex("00 00000006 00000001 00000214 00000000"), Cap(TpmCap.TpmProperties, 0x214, 10));
        Assert.Equal(Hex("00 00000006 00000000"), Cap(TpmCap.TpmProperties, 0x215, 10));
        Assert.Equal(Hex("00 00000006 00000000"), Cap(TpmCap.TpmProperties, 0x300, 10));
    }

    // ---- TPM_CAP_PCR_PROPERTIES ---------------------------------------------------------------

    [Fact]
    public void PcrPropertiesFromThePcClientTable()
    {
        Assert.Equal(Hex(
            "00 00000007 0000000F" +
            "00000000 03 FFFF00" +   // SAVE: 0-15
            "00000001 03 FFFF81" +   // EXTEND_L0: 0-16, 23
            "00000002 03 000081" +   // RESET_L0: 16, 23
            "00000003 03 FFFF91" +   // EXTEND_L1: 0-16, 20, 23
            "00000004 03 000081" +   // RESET_L1: 16, 23
            "00000005 03 FFFFFF" +   // EXTEND_L2: all
            "00000006 03 0000F1" +   // RESET_L2: 16, 20-23
            "00000007 03 FFFF9F" +   // EXTEND_L3: 0-20, 23
            "00000008 03 000081" +   // RESET_L3: 16, 23
            "00000009 03 FFFF87" +   // EXTEND_L4: 0-18, 23
            "0000000A 03 00007E" +   // RESET_L4: 17-22
            "00000011 03 000081" +   // NO_INCREMENT: 16, 23
            "00000012 03 00007E" +   // DRTM_RESET: 17-22
            "00000013 03 000070" +   // POLICY: the one policy group, 20-22
            "00000014 03 000070"),   // AUTH: the one authValue group, 20-22
            Cap(TpmCap.Properties, 0, 100));
    }

    [Fact]
    public void PcrPropertiesPage()
    {
        Assert.Equal(Hex("01 00000007 00000001 0000000A 03 00007E"), Cap(TpmCap.Properties, 0x0A, 1));
        Assert.Equal(Hex("01 00000007 00000001 00000011 03 000081"), Cap(TpmCap.Properties, 0x0B, 1));
        Assert.Equal(Hex("00 00000007 00000000"), Cap(TpmCap.Properties, 0x15, 1));
    }

    // ---- TPM_CAP_ECC_CURVES, AUTH_POLICIES, ACT -----------------------------------------------

    [Fact]
    public void EccCurvesAreTheNistCurvesAndBnP256() =>
        Assert.Equal(Hex("00 00000008 00000004 0003 0004 0005 0010"), Cap(TpmCap.EccCurves, 0, 100));

    [Fact]
    public void AuthPoliciesOfTheHierarchiesAreEmpty()
    {
        // ... and the ACTs' (TPM_RH_ACT_0, TPM_RH_ACT_A).
        Assert.Equal(Hex("00 00000009 00000006 40000001 0010 4000000A 0010 4000000B 0010 4000000C 0010 40000110 0010 4000011A 0010"),
            Cap(TpmCap.AuthPolicies, 0x40000000, 100));
        Assert.Equal(Hex("01 00000009 00000001 4000000A 0010"), Cap(TpmCap.AuthPolicies, 0x40000002, 1));
        Assert.Equal(Hex("01 00000009 00000001 4000000C 0010"), Cap(TpmCap.AuthPolicies, 0x4000000C, 1));
        Assert.Equal(Hex("00 00000009 00000001 4000011A 0010"), Cap(TpmCap.AuthPolicies, 0x40000111, 5));
    }

    [Fact]
    public void AuthPoliciesOfAnotherHandleTypeIsValueAtP2() =>
        Assert.Equal("80010000000A000002C4", Run(_tpm, TpmCc.GetCapability, "00000009 80000000 00000001"));

    [Fact]
    public void ActListsTheImplementedActs()
    {
        Assert.Equal(Hex("00 0000000A 00000002 40000110 00000000 00000000 4000011A 00000000 00000000"), Cap(TpmCap.Act, 0x40000110, 10));
        Assert.Equal("80010000000A000002C4", Run(_tpm, TpmCc.GetCapability, "0000000A 40000001 00000001"));
    }

    static string Hex(string spaced) => spaced.Replace(" ", "");
}
