// Constants of TPM 2.0 Library Part 2 (v1.84, with the v185 additions marked).
// Values checked against tpm2-tss tss2_tpm2_types.h; names are the spec names in PascalCase.
namespace Ftpm;

/// <summary>TPM_RC (Part 2, 6.6). Format-1 codes take a handle, session or parameter number: see <see cref="TpmRcExtensions"/>.</summary>
public enum TpmRc : uint
{
    Success = 0x00000000,
    BadTag = 0x0000001E,
    Initialize = 0x00000100,
    Failure = 0x00000101,
    Sequence = 0x00000103,
    Private = 0x0000010B,
    Hmac = 0x00000119,
    Disabled = 0x00000120,
    Exclusive = 0x00000121,
    AuthType = 0x00000124,
    AuthMissing = 0x00000125,
    Policy = 0x00000126,
    Pcr = 0x00000127,
    PcrChanged = 0x00000128,
    Upgrade = 0x0000012D,
    TooManyContexts = 0x0000012E,
    AuthUnavailable = 0x0000012F,
    Reboot = 0x00000130,
    Unbalanced = 0x00000131,
    CommandSize = 0x00000142,
    CommandCode = 0x00000143,
    AuthSize = 0x00000144,
    AuthContext = 0x00000145,
    NvRange = 0x00000146,
    NvSize = 0x00000147,
    NvLocked = 0x00000148,
    NvAuthorization = 0x00000149,
    NvUninitialized = 0x0000014A,
    NvSpace = 0x0000014B,
    NvDefined = 0x0000014C,
    BadContext = 0x00000150,
    Cphash = 0x00000151,
    Parent = 0x00000152,
    NeedsTest = 0x00000153,
    NoResult = 0x00000154,
    Sensitive = 0x00000155,
    /// <summary>TPM_RC_READ_ONLY (1.84): the command is refused in read-only mode (TPM2_ReadOnlyControl).</summary>
    ReadOnly = 0x00000156,
    Asymmetric = 0x00000081,
    Attributes = 0x00000082,
    Hash = 0x00000083,
    Value = 0x00000084,
    Hierarchy = 0x00000085,
    KeySize = 0x00000087,
    Mgf = 0x00000088,
    Mode = 0x00000089,
    Type = 0x0000008A,
    Handle = 0x0000008B,
    Kdf = 0x0000008C,
    Range = 0x0000008D,
    AuthFail = 0x0000008E,
    Nonce = 0x0000008F,
    Pp = 0x00000090,
    Scheme = 0x00000092,
    Size = 0x00000095,
    Symmetric = 0x00000096,
    Tag = 0x00000097,
    Selector = 0x00000098,
    Insufficient = 0x0000009A,
    Signature = 0x0000009B,
    Key = 0x0000009C,
    PolicyFail = 0x0000009D,
    Integrity = 0x0000009F,
    Ticket = 0x000000A0,
    ReservedBits = 0x000000A1,
    BadAuth = 0x000000A2,
    Expired = 0x000000A3,
    PolicyCc = 0x000000A4,
    Binding = 0x000000A5,
    Curve = 0x000000A6,
    EccPoint = 0x000000A7,
    /// <summary>TPM_RC_CHANNEL (1.84): a policy needs a secure channel (SPDM) the command did not come through.</summary>
    Channel = 0x000000B0,
    /// <summary>TPM_RC_CHANNEL_KEY (1.84): the secure channel's keys are not those the policy names.</summary>
    ChannelKey = 0x000000B1,
    ContextGap = 0x00000901,
    ObjectMemory = 0x00000902,
    SessionMemory = 0x00000903,
    Memory = 0x00000904,
    SessionHandles = 0x00000905,
    ObjectHandles = 0x00000906,
    Locality = 0x00000907,
    Yielded = 0x00000908,
    Canceled = 0x00000909,
    Testing = 0x0000090A,
    ReferenceH0 = 0x00000910,
    ReferenceH1 = 0x00000911,
    ReferenceH2 = 0x00000912,
    ReferenceH3 = 0x00000913,
    ReferenceH4 = 0x00000914,
    ReferenceH5 = 0x00000915,
    ReferenceH6 = 0x00000916,
    ReferenceS0 = 0x00000918,
    ReferenceS1 = 0x00000919,
    ReferenceS2 = 0x0000091A,
    ReferenceS3 = 0x0000091B,
    ReferenceS4 = 0x0000091C,
    ReferenceS5 = 0x0000091D,
    ReferenceS6 = 0x0000091E,
    NvRate = 0x00000920,
    Lockout = 0x00000921,
    Retry = 0x00000922,
    NvUnavailable = 0x00000923,
    /// <summary>v185: unsupported ML-KEM / ML-DSA parameter set.</summary>
    Parms = 0x000000AA,
    ExtMu = 0x000000AB,
    OneShotSignature = 0x000000AC,
    SignContextKey = 0x000000AD,
}

/// <summary>TPM_CC (Part 2, 6.5.2), through v185 (Part 2 v185 adds 0x1A3..0x1AA).</summary>
public enum TpmCc : uint
{
    /// <summary>TPM2_NV_UndefineSpaceSpecial</summary>
    NvUndefineSpaceSpecial = 0x0000011F,
    /// <summary>TPM2_EvictControl</summary>
    EvictControl = 0x00000120,
    /// <summary>TPM2_HierarchyControl</summary>
    HierarchyControl = 0x00000121,
    /// <summary>TPM2_NV_UndefineSpace</summary>
    NvUndefineSpace = 0x00000122,
    /// <summary>TPM2_ChangeEPS</summary>
    ChangeEPS = 0x00000124,
    /// <summary>TPM2_ChangePPS</summary>
    ChangePPS = 0x00000125,
    /// <summary>TPM2_Clear</summary>
    Clear = 0x00000126,
    /// <summary>TPM2_ClearControl</summary>
    ClearControl = 0x00000127,
    /// <summary>TPM2_ClockSet</summary>
    ClockSet = 0x00000128,
    /// <summary>TPM2_HierarchyChangeAuth</summary>
    HierarchyChangeAuth = 0x00000129,
    /// <summary>TPM2_NV_DefineSpace</summary>
    NvDefineSpace = 0x0000012A,
    /// <summary>TPM2_PCR_Allocate</summary>
    PcrAllocate = 0x0000012B,
    /// <summary>TPM2_PCR_SetAuthPolicy</summary>
    PcrSetAuthPolicy = 0x0000012C,
    /// <summary>TPM2_PP_Commands</summary>
    PpCommands = 0x0000012D,
    /// <summary>TPM2_SetPrimaryPolicy</summary>
    SetPrimaryPolicy = 0x0000012E,
    /// <summary>TPM2_FieldUpgradeStart</summary>
    FieldUpgradeStart = 0x0000012F,
    /// <summary>TPM2_ClockRateAdjust</summary>
    ClockRateAdjust = 0x00000130,
    /// <summary>TPM2_CreatePrimary</summary>
    CreatePrimary = 0x00000131,
    /// <summary>TPM2_NV_GlobalWriteLock</summary>
    NvGlobalWriteLock = 0x00000132,
    /// <summary>TPM2_GetCommandAuditDigest</summary>
    GetCommandAuditDigest = 0x00000133,
    /// <summary>TPM2_NV_Increment</summary>
    NvIncrement = 0x00000134,
    /// <summary>TPM2_NV_SetBits</summary>
    NvSetBits = 0x00000135,
    /// <summary>TPM2_NV_Extend</summary>
    NvExtend = 0x00000136,
    /// <summary>TPM2_NV_Write</summary>
    NvWrite = 0x00000137,
    /// <summary>TPM2_NV_WriteLock</summary>
    NvWriteLock = 0x00000138,
    /// <summary>TPM2_DictionaryAttackLockReset</summary>
    DictionaryAttackLockReset = 0x00000139,
    /// <summary>TPM2_DictionaryAttackParameters</summary>
    DictionaryAttackParameters = 0x0000013A,
    /// <summary>TPM2_NV_ChangeAuth</summary>
    NvChangeAuth = 0x0000013B,
    /// <summary>TPM2_PCR_Event</summary>
    PcrEvent = 0x0000013C,
    /// <summary>TPM2_PCR_Reset</summary>
    PcrReset = 0x0000013D,
    /// <summary>TPM2_SequenceComplete</summary>
    SequenceComplete = 0x0000013E,
    /// <summary>TPM2_SetAlgorithmSet</summary>
    SetAlgorithmSet = 0x0000013F,
    /// <summary>TPM2_SetCommandCodeAuditStatus</summary>
    SetCommandCodeAuditStatus = 0x00000140,
    /// <summary>TPM2_FieldUpgradeData</summary>
    FieldUpgradeData = 0x00000141,
    /// <summary>TPM2_IncrementalSelfTest</summary>
    IncrementalSelfTest = 0x00000142,
    /// <summary>TPM2_SelfTest</summary>
    SelfTest = 0x00000143,
    /// <summary>TPM2_Startup</summary>
    Startup = 0x00000144,
    /// <summary>TPM2_Shutdown</summary>
    Shutdown = 0x00000145,
    /// <summary>TPM2_StirRandom</summary>
    StirRandom = 0x00000146,
    /// <summary>TPM2_ActivateCredential</summary>
    ActivateCredential = 0x00000147,
    /// <summary>TPM2_Certify</summary>
    Certify = 0x00000148,
    /// <summary>TPM2_PolicyNV</summary>
    PolicyNV = 0x00000149,
    /// <summary>TPM2_CertifyCreation</summary>
    CertifyCreation = 0x0000014A,
    /// <summary>TPM2_Duplicate</summary>
    Duplicate = 0x0000014B,
    /// <summary>TPM2_GetTime</summary>
    GetTime = 0x0000014C,
    /// <summary>TPM2_GetSessionAuditDigest</summary>
    GetSessionAuditDigest = 0x0000014D,
    /// <summary>TPM2_NV_Read</summary>
    NvRead = 0x0000014E,
    /// <summary>TPM2_NV_ReadLock</summary>
    NvReadLock = 0x0000014F,
    /// <summary>TPM2_ObjectChangeAuth</summary>
    ObjectChangeAuth = 0x00000150,
    /// <summary>TPM2_PolicySecret</summary>
    PolicySecret = 0x00000151,
    /// <summary>TPM2_Rewrap</summary>
    Rewrap = 0x00000152,
    /// <summary>TPM2_Create</summary>
    Create = 0x00000153,
    /// <summary>TPM2_ECDH_ZGen</summary>
    EcdhZGen = 0x00000154,
    /// <summary>TPM2_HMAC</summary>
    Hmac = 0x00000155,
    /// <summary>TPM2_MAC</summary>
    Mac = 0x00000155,
    /// <summary>TPM2_Import</summary>
    Import = 0x00000156,
    /// <summary>TPM2_Load</summary>
    Load = 0x00000157,
    /// <summary>TPM2_Quote</summary>
    Quote = 0x00000158,
    /// <summary>TPM2_RSA_Decrypt</summary>
    RsaDecrypt = 0x00000159,
    /// <summary>TPM2_HMAC_Start</summary>
    HmacStart = 0x0000015B,
    /// <summary>TPM2_MAC_Start</summary>
    MacStart = 0x0000015B,
    /// <summary>TPM2_SequenceUpdate</summary>
    SequenceUpdate = 0x0000015C,
    /// <summary>TPM2_Sign</summary>
    Sign = 0x0000015D,
    /// <summary>TPM2_Unseal</summary>
    Unseal = 0x0000015E,
    /// <summary>TPM2_PolicySigned</summary>
    PolicySigned = 0x00000160,
    /// <summary>TPM2_ContextLoad</summary>
    ContextLoad = 0x00000161,
    /// <summary>TPM2_ContextSave</summary>
    ContextSave = 0x00000162,
    /// <summary>TPM2_ECDH_KeyGen</summary>
    EcdhKeyGen = 0x00000163,
    /// <summary>TPM2_EncryptDecrypt</summary>
    EncryptDecrypt = 0x00000164,
    /// <summary>TPM2_FlushContext</summary>
    FlushContext = 0x00000165,
    /// <summary>TPM2_LoadExternal</summary>
    LoadExternal = 0x00000167,
    /// <summary>TPM2_MakeCredential</summary>
    MakeCredential = 0x00000168,
    /// <summary>TPM2_NV_ReadPublic</summary>
    NvReadPublic = 0x00000169,
    /// <summary>TPM2_PolicyAuthorize</summary>
    PolicyAuthorize = 0x0000016A,
    /// <summary>TPM2_PolicyAuthValue</summary>
    PolicyAuthValue = 0x0000016B,
    /// <summary>TPM2_PolicyCommandCode</summary>
    PolicyCommandCode = 0x0000016C,
    /// <summary>TPM2_PolicyCounterTimer</summary>
    PolicyCounterTimer = 0x0000016D,
    /// <summary>TPM2_PolicyCpHash</summary>
    PolicyCpHash = 0x0000016E,
    /// <summary>TPM2_PolicyLocality</summary>
    PolicyLocality = 0x0000016F,
    /// <summary>TPM2_PolicyNameHash</summary>
    PolicyNameHash = 0x00000170,
    /// <summary>TPM2_PolicyOR</summary>
    PolicyOR = 0x00000171,
    /// <summary>TPM2_PolicyTicket</summary>
    PolicyTicket = 0x00000172,
    /// <summary>TPM2_ReadPublic</summary>
    ReadPublic = 0x00000173,
    /// <summary>TPM2_RSA_Encrypt</summary>
    RsaEncrypt = 0x00000174,
    /// <summary>TPM2_StartAuthSession</summary>
    StartAuthSession = 0x00000176,
    /// <summary>TPM2_VerifySignature</summary>
    VerifySignature = 0x00000177,
    /// <summary>TPM2_ECC_Parameters</summary>
    EccParameters = 0x00000178,
    /// <summary>TPM2_FirmwareRead</summary>
    FirmwareRead = 0x00000179,
    /// <summary>TPM2_GetCapability</summary>
    GetCapability = 0x0000017A,
    /// <summary>TPM2_GetRandom</summary>
    GetRandom = 0x0000017B,
    /// <summary>TPM2_GetTestResult</summary>
    GetTestResult = 0x0000017C,
    /// <summary>TPM2_Hash</summary>
    Hash = 0x0000017D,
    /// <summary>TPM2_PCR_Read</summary>
    PcrRead = 0x0000017E,
    /// <summary>TPM2_PolicyPCR</summary>
    PolicyPCR = 0x0000017F,
    /// <summary>TPM2_PolicyRestart</summary>
    PolicyRestart = 0x00000180,
    /// <summary>TPM2_ReadClock</summary>
    ReadClock = 0x00000181,
    /// <summary>TPM2_PCR_Extend</summary>
    PcrExtend = 0x00000182,
    /// <summary>TPM2_PCR_SetAuthValue</summary>
    PcrSetAuthValue = 0x00000183,
    /// <summary>TPM2_NV_Certify</summary>
    NvCertify = 0x00000184,
    /// <summary>TPM2_EventSequenceComplete</summary>
    EventSequenceComplete = 0x00000185,
    /// <summary>TPM2_HashSequenceStart</summary>
    HashSequenceStart = 0x00000186,
    /// <summary>TPM2_PolicyPhysicalPresence</summary>
    PolicyPhysicalPresence = 0x00000187,
    /// <summary>TPM2_PolicyDuplicationSelect</summary>
    PolicyDuplicationSelect = 0x00000188,
    /// <summary>TPM2_PolicyGetDigest</summary>
    PolicyGetDigest = 0x00000189,
    /// <summary>TPM2_TestParms</summary>
    TestParms = 0x0000018A,
    /// <summary>TPM2_Commit</summary>
    Commit = 0x0000018B,
    /// <summary>TPM2_PolicyPassword</summary>
    PolicyPassword = 0x0000018C,
    /// <summary>TPM2_ZGen_2Phase</summary>
    ZGen2Phase = 0x0000018D,
    /// <summary>TPM2_EC_Ephemeral</summary>
    EcEphemeral = 0x0000018E,
    /// <summary>TPM2_PolicyNvWritten</summary>
    PolicyNvWritten = 0x0000018F,
    /// <summary>TPM2_PolicyTemplate</summary>
    PolicyTemplate = 0x00000190,
    /// <summary>TPM2_CreateLoaded</summary>
    CreateLoaded = 0x00000191,
    /// <summary>TPM2_PolicyAuthorizeNV</summary>
    PolicyAuthorizeNV = 0x00000192,
    /// <summary>TPM2_EncryptDecrypt2</summary>
    EncryptDecrypt2 = 0x00000193,
    /// <summary>TPM2_AC_GetCapability</summary>
    AcGetCapability = 0x00000194,
    /// <summary>TPM2_AC_Send</summary>
    AcSend = 0x00000195,
    /// <summary>TPM2_Policy_AC_SendSelect</summary>
    PolicyAcSendSelect = 0x00000196,
    /// <summary>TPM2_CertifyX509</summary>
    CertifyX509 = 0x00000197,
    /// <summary>TPM2_ACT_SetTimeout</summary>
    ActSetTimeout = 0x00000198,
    /// <summary>TPM2_ECC_Encrypt</summary>
    EccEncrypt = 0x00000199,
    /// <summary>TPM2_ECC_Decrypt</summary>
    EccDecrypt = 0x0000019A,
    /// <summary>TPM2_PolicyCapability</summary>
    PolicyCapability = 0x0000019B,
    /// <summary>TPM2_PolicyParameters</summary>
    PolicyParameters = 0x0000019C,
    /// <summary>TPM2_NV_DefineSpace2</summary>
    NvDefineSpace2 = 0x0000019D,
    /// <summary>TPM2_NV_ReadPublic2</summary>
    NvReadPublic2 = 0x0000019E,
    /// <summary>TPM2_SetCapability</summary>
    SetCapability = 0x0000019F,
    /// <summary>TPM2_ReadOnlyControl</summary>
    ReadOnlyControl = 0x000001A0,
    /// <summary>TPM2_PolicyTransportSPDM</summary>
    PolicyTransportSPDM = 0x000001A1,
    /// <summary>TPM2_VerifySequenceComplete</summary>
    VerifySequenceComplete = 0x000001A3,
    /// <summary>TPM2_SignSequenceComplete</summary>
    SignSequenceComplete = 0x000001A4,
    /// <summary>TPM2_VerifyDigestSignature</summary>
    VerifyDigestSignature = 0x000001A5,
    /// <summary>TPM2_SignDigest</summary>
    SignDigest = 0x000001A6,
    /// <summary>TPM2_Encapsulate</summary>
    Encapsulate = 0x000001A7,
    /// <summary>TPM2_Decapsulate</summary>
    Decapsulate = 0x000001A8,
    /// <summary>TPM2_VerifySequenceStart</summary>
    VerifySequenceStart = 0x000001A9,
    /// <summary>TPM2_SignSequenceStart</summary>
    SignSequenceStart = 0x000001AA,
    First = 0x0000011F,
    Last = 0x000001AA,

    /// <summary>CC_VEND (Part 2, 6.5.2): the bit that marks a vendor command (TPMA_CC V).</summary>
    Vend = 0x20000000,
    /// <summary>TPM2_Vendor_TCG_Test (CC_VEND + 0): the reference's vendor command, an echo.</summary>
    VendorTcgTest = 0x20000000,
}

/// <summary>TPM_ALG_ID (Part 2, 6.3; v185 adds HKDF and the ML-KEM/ML-DSA object types).</summary>
public enum TpmAlgId : ushort
{
    Error = 0x0000,
    Rsa = 0x0001,
    Tdes = 0x0003,
    Sha1 = 0x0004,
    Hmac = 0x0005,
    Aes = 0x0006,
    Mgf1 = 0x0007,
    KeyedHash = 0x0008,
    Xor = 0x000A,
    Sha256 = 0x000B,
    Sha384 = 0x000C,
    Sha512 = 0x000D,
    Sha256_192 = 0x000E,
    Null = 0x0010,
    Sm3_256 = 0x0012,
    Sm4 = 0x0013,
    RsaSsa = 0x0014,
    RsaEs = 0x0015,
    RsaPss = 0x0016,
    Oaep = 0x0017,
    EcDsa = 0x0018,
    Ecdh = 0x0019,
    EcDaa = 0x001A,
    Sm2 = 0x001B,
    EcSchnorr = 0x001C,
    EcMqv = 0x001D,
    Hkdf = 0x001F,
    Kdf1Sp800_56A = 0x0020,
    Kdf2 = 0x0021,
    Kdf1Sp800_108 = 0x0022,
    Ecc = 0x0023,
    SymCipher = 0x0025,
    Camellia = 0x0026,
    Sha3_256 = 0x0027,
    Sha3_384 = 0x0028,
    Sha3_512 = 0x0029,
    Shake128 = 0x002A,
    Shake256 = 0x002B,
    Shake256_192 = 0x002C,
    Shake256_256 = 0x002D,
    Shake256_512 = 0x002E,
    Cmac = 0x003F,
    Ctr = 0x0040,
    Ofb = 0x0041,
    Cbc = 0x0042,
    Cfb = 0x0043,
    Ecb = 0x0044,
    /// <summary>v185: ML-KEM (FIPS 203) object type.</summary>
    MlKem = 0x00A0,
    /// <summary>v185: ML-DSA (FIPS 204) object type.</summary>
    MlDsa = 0x00A1,
    /// <summary>v185: HashML-DSA object type.</summary>
    HashMlDsa = 0x00A2,
    /// <summary>v1.83: EdDSA (RFC 8032) signature schemes, pure and pre-hash.</summary>
    EdDsa = 0x0060,
    EdDsaPh = 0x0061,
}

/// <summary>TPM_ST (Part 2, 6.9).</summary>
public enum TpmSt : ushort
{
    RspCommand = 0x00C4,
    Null = 0x8000,
    NoSessions = 0x8001,
    Sessions = 0x8002,
    AttestNv = 0x8014,
    AttestCommandAudit = 0x8015,
    AttestSessionAudit = 0x8016,
    AttestCertify = 0x8017,
    AttestQuote = 0x8018,
    AttestTime = 0x8019,
    AttestCreation = 0x801A,
    AttestNvDigest = 0x801C,
    Creation = 0x8021,
    Verified = 0x8022,
    AuthSecret = 0x8023,
    HashCheck = 0x8024,
    AuthSigned = 0x8025,
    FuManifest = 0x8029,
    /// <summary>v185 ticket tags.</summary>
    MessageVerified = 0x8026,
    DigestVerified = 0x8027,
}

/// <summary>TPM_CAP (Part 2, 6.12).</summary>
public enum TpmCap : uint
{
    Algs = 0x00000000,
    Handles = 0x00000001,
    Commands = 0x00000002,
    PpCommands = 0x00000003,
    AuditCommands = 0x00000004,
    Pcrs = 0x00000005,
    TpmProperties = 0x00000006,
    Properties = 0x00000007,
    EccCurves = 0x00000008,
    AuthPolicies = 0x00000009,
    Act = 0x0000000A,
    VendorProperty = 0x00000100,
    /// <summary>v1.84 (SPDM secure channel): TPM_CAP_PUB_KEYS and TPM_CAP_SPDM_SESSION_INFO.</summary>
    PubKeys = 0x0000000B,
    SpdmSessionInfo = 0x0000000C,
}
/// <summary>TPM_PT (Part 2, 6.13).</summary>
public enum TpmPt : uint
{
    None = 0x00000000,
    Group = 0x00000100,
    Fixed = 0x00000100,
    FamilyIndicator = 0x00000100,
    Level = 0x00000101,
    Revision = 0x00000102,
    DayOfYear = 0x00000103,
    Year = 0x00000104,
    Manufacturer = 0x00000105,
    VendorString1 = 0x00000106,
    VendorString2 = 0x00000107,
    VendorString3 = 0x00000108,
    VendorString4 = 0x00000109,
    VendorTpmType = 0x0000010A,
    FirmwareVersion1 = 0x0000010B,
    FirmwareVersion2 = 0x0000010C,
    InputBuffer = 0x0000010D,
    HrTransientMin = 0x0000010E,
    HrPersistentMin = 0x0000010F,
    HrLoadedMin = 0x00000110,
    ActiveSessionsMax = 0x00000111,
    PcrCount = 0x00000112,
    PcrSelectMin = 0x00000113,
    ContextGapMax = 0x00000114,
    NvCountersMax = 0x00000116,
    NvIndexMax = 0x00000117,
    Memory = 0x00000118,
    ClockUpdate = 0x00000119,
    ContextHash = 0x0000011A,
    ContextSym = 0x0000011B,
    ContextSymSize = 0x0000011C,
    OrderlyCount = 0x0000011D,
    MaxCommandSize = 0x0000011E,
    MaxResponseSize = 0x0000011F,
    MaxDigest = 0x00000120,
    MaxObjectContext = 0x00000121,
    MaxSessionContext = 0x00000122,
    PsFamilyIndicator = 0x00000123,
    PsLevel = 0x00000124,
    PsRevision = 0x00000125,
    PsDayOfYear = 0x00000126,
    PsYear = 0x00000127,
    SplitMax = 0x00000128,
    TotalCommands = 0x00000129,
    LibraryCommands = 0x0000012A,
    VendorCommands = 0x0000012B,
    NvBufferMax = 0x0000012C,
    Modes = 0x0000012D,
    MaxCapBuffer = 0x0000012E,
    /// <summary>v1.83: firmware security version numbers (PT_FIXED + 47, + 48).</summary>
    FirmwareSvn = 0x0000012F,
    FirmwareMaxSvn = 0x00000130,
    /// <summary>v185: the ML-KEM / ML-DSA parameter sets implemented (PT_FIXED + 49).</summary>
    MlParameterSets = 0x00000131,
    Var = 0x00000200,
    Permanent = 0x00000200,
    StartupClear = 0x00000201,
    HrNvIndex = 0x00000202,
    HrLoaded = 0x00000203,
    HrLoadedAvail = 0x00000204,
    HrActive = 0x00000205,
    HrActiveAvail = 0x00000206,
    HrTransientAvail = 0x00000207,
    HrPersistent = 0x00000208,
    HrPersistentAvail = 0x00000209,
    NvCounters = 0x0000020A,
    NvCountersAvail = 0x0000020B,
    AlgorithmSet = 0x0000020C,
    LoadedCurves = 0x0000020D,
    LockoutCounter = 0x0000020E,
    MaxAuthFail = 0x0000020F,
    LockoutInterval = 0x00000210,
    LockoutRecovery = 0x00000211,
    NvWriteRecovery = 0x00000212,
    AuditCounter0 = 0x00000213,
    AuditCounter1 = 0x00000214,
}
/// <summary>TPM_PT_PCR (Part 2, 6.14).</summary>
public enum TpmPtPcr : uint
{
    Save = 0x00000000,
    ExtendL0 = 0x00000001,
    ResetL0 = 0x00000002,
    ExtendL1 = 0x00000003,
    ResetL1 = 0x00000004,
    ExtendL2 = 0x00000005,
    ResetL2 = 0x00000006,
    ExtendL3 = 0x00000007,
    ResetL3 = 0x00000008,
    ExtendL4 = 0x00000009,
    ResetL4 = 0x0000000A,
    NoIncrement = 0x00000011,
    DrtmReset = 0x00000012,
    Policy = 0x00000013,
    Auth = 0x00000014,
}
/// <summary>TPM_HT (Part 2, 7.2): the most significant octet of a handle.</summary>
public enum TpmHt : byte
{
    Pcr = 0x0000,
    NvIndex = 0x0001,
    HmacSession = 0x0002,
    PolicySession = 0x0003,
    /// <summary>TPM_HT_EXTERNAL_NV (1.84): an NV index whose data is kept outside the TPM.</summary>
    ExternalNv = 0x0011,
    /// <summary>TPM_HT_PERMANENT_NV (1.84): an NV index the TPM defines itself.</summary>
    PermanentNv = 0x0012,
    Permanent = 0x0040,
    Transient = 0x0080,
    Persistent = 0x0081,
}
/// <summary>TPM_RH (Part 2, 7.4) permanent handles.</summary>
public enum TpmRh : uint
{
    Owner = 0x40000001,
    Revoke = 0x40000002,
    Transport = 0x40000003,
    Operator = 0x40000004,
    Admin = 0x40000005,
    Ek = 0x40000006,
    Null = 0x40000007,
    Unassigned = 0x40000008,
    Pw = 0x40000009,
    Lockout = 0x4000000A,
    Endorsement = 0x4000000B,
    Platform = 0x4000000C,
    PlatformNv = 0x4000000D,
    Auth00 = 0x40000010,
    AuthFf = 0x4000010F,
    Act0 = 0x40000110,
    ActF = 0x4000011F,
}
/// <summary>TPM_SU (Part 2, 6.10).</summary>
public enum TpmSu : ushort
{
    Clear = 0x0000,
    State = 0x0001,
}
/// <summary>TPM_SE (Part 2, 6.11).</summary>
public enum TpmSe : byte
{
    Hmac = 0x0000,
    Policy = 0x0001,
    Trial = 0x0003,
}
/// <summary>TPM_ECC_CURVE (Part 2, 6.4).</summary>
public enum TpmEccCurve : ushort
{
    None = 0x0000,
    NistP192 = 0x0001,
    NistP224 = 0x0002,
    NistP256 = 0x0003,
    NistP384 = 0x0004,
    NistP521 = 0x0005,
    BnP256 = 0x0010,
    BnP638 = 0x0011,
    Sm2P256 = 0x0020,
    /// <summary>v1.83: Brainpool, Curve25519 and Curve448.</summary>
    BpP256R1 = 0x0030,
    BpP384R1 = 0x0031,
    BpP512R1 = 0x0032,
    Curve25519 = 0x0040,
    Curve448 = 0x0041,
}

/// <summary>TPMI_MLKEM_PARMS (Part 2 v185, 11.2.6.1, Table 205): the ML-KEM parameter sets (FIPS 203).
/// The values are the TCG Algorithm Registry's TCG_MLKEM_x. Any other value is TPM_RC_PARMS.</summary>
public enum TpmMlKemParms : ushort
{
    None = 0x0000,
    MlKem512 = 0x0001,
    MlKem768 = 0x0002,
    MlKem1024 = 0x0003,
}

/// <summary>TPMI_MLDSA_PARMS (Part 2 v185, 11.2.7.1, Table 208): the ML-DSA parameter sets (FIPS 204).
/// The values are the TCG Algorithm Registry's TCG_MLDSA_x. Any other value is TPM_RC_PARMS.</summary>
public enum TpmMlDsaParms : ushort
{
    None = 0x0000,
    MlDsa44 = 0x0001,
    MlDsa65 = 0x0002,
    MlDsa87 = 0x0003,
}

/// <summary>TPMA_ML_PARAMETER_SET (Part 2 v185, 8.13, Table 47): the ML-KEM and ML-DSA parameter sets a TPM
/// implements and whether it supports allowExternalMu; GetCapability(TPM_PT_ML_PARAMETER_SETS) reports it.</summary>
[Flags]
public enum TpmaMlParameterSet : uint
{
    None = 0,
    MlKem512 = 1u << 0,
    MlKem768 = 1u << 1,
    MlKem1024 = 1u << 2,
    MlDsa44 = 1u << 3,
    MlDsa65 = 1u << 4,
    MlDsa87 = 1u << 5,
    ExtMu = 1u << 6,
}

/// <summary>The sizes of the ML-KEM and ML-DSA parameter sets (Part 2 v185, Tables 205 and 208, from FIPS 203
/// and FIPS 204), and which of them this TPM implements (TPM_PT_ML_PARAMETER_SETS).</summary>
public static class MlParameterSets
{
    /// <summary>What TPM_PT_ML_PARAMETER_SETS reports: every ML-KEM and ML-DSA set, and external mu.</summary>
    public const TpmaMlParameterSet Implemented =
        TpmaMlParameterSet.MlKem512 | TpmaMlParameterSet.MlKem768 | TpmaMlParameterSet.MlKem1024 |
        TpmaMlParameterSet.MlDsa44 | TpmaMlParameterSet.MlDsa65 | TpmaMlParameterSet.MlDsa87 | TpmaMlParameterSet.ExtMu;

    /// <summary>Whether an ML-KEM parameter set is implemented (else TPM_RC_PARMS).</summary>
    public static bool IsImplemented(TpmMlKemParms set) => set switch
    {
        TpmMlKemParms.MlKem512 => (Implemented & TpmaMlParameterSet.MlKem512) != 0,
        TpmMlKemParms.MlKem768 => (Implemented & TpmaMlParameterSet.MlKem768) != 0,
        TpmMlKemParms.MlKem1024 => (Implemented & TpmaMlParameterSet.MlKem1024) != 0,
        _ => false,
    };

    /// <summary>Whether an ML-DSA parameter set is implemented (else TPM_RC_PARMS).</summary>
    public static bool IsImplemented(TpmMlDsaParms set) => set switch
    {
        TpmMlDsaParms.MlDsa44 => (Implemented & TpmaMlParameterSet.MlDsa44) != 0,
        TpmMlDsaParms.MlDsa65 => (Implemented & TpmaMlParameterSet.MlDsa65) != 0,
        TpmMlDsaParms.MlDsa87 => (Implemented & TpmaMlParameterSet.MlDsa87) != 0,
        _ => false,
    };

    /// <summary>The encoded ML-KEM public key (encapsulation key) size; 0 for an unknown set.</summary>
    public static int PublicKeySize(TpmMlKemParms set) => set switch
    {
        TpmMlKemParms.MlKem512 => 800,
        TpmMlKemParms.MlKem768 => 1184,
        TpmMlKemParms.MlKem1024 => 1568,
        _ => 0,
    };

    /// <summary>The ML-KEM ciphertext size; 0 for an unknown set.</summary>
    public static int CiphertextSize(TpmMlKemParms set) => set switch
    {
        TpmMlKemParms.MlKem512 => 768,
        TpmMlKemParms.MlKem768 => 1088,
        TpmMlKemParms.MlKem1024 => 1568,
        _ => 0,
    };

    /// <summary>The ML-KEM shared secret size (32 for every set).</summary>
    public const int SharedSecretSize = 32;

    /// <summary>TPM2B_PRIVATE_KEY_MLKEM: the 64-octet seed d || z (Part 2 v185, Table 207).</summary>
    public const int MlKemPrivateSeedSize = 64;

    /// <summary>TPM2B_PRIVATE_KEY_MLDSA: the 32-octet seed xi (Part 2 v185, Table 211).</summary>
    public const int MlDsaPrivateSeedSize = 32;

    /// <summary>The encoded ML-DSA public key size; 0 for an unknown set.</summary>
    public static int PublicKeySize(TpmMlDsaParms set) => set switch
    {
        TpmMlDsaParms.MlDsa44 => 1312,
        TpmMlDsaParms.MlDsa65 => 1952,
        TpmMlDsaParms.MlDsa87 => 2592,
        _ => 0,
    };

    /// <summary>The ML-DSA signature size; 0 for an unknown set.</summary>
    public static int SignatureSize(TpmMlDsaParms set) => set switch
    {
        TpmMlDsaParms.MlDsa44 => 2420,
        TpmMlDsaParms.MlDsa65 => 3309,
        TpmMlDsaParms.MlDsa87 => 4627,
        _ => 0,
    };

    /// <summary>The external mu of ML-DSA (FIPS 204, Algorithm 7, line 6): 64 octets. Part 2 v185 Table 230
    /// calls it "512-byte"; it is 512 bits.</summary>
    public const int MuSize = 64;

    /// <summary>The longest ML-DSA context string (FIPS 204, 5.2: at most 255 octets).</summary>
    public const int MaxContextSize = 255;
}
