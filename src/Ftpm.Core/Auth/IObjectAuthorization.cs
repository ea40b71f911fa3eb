namespace Ftpm.Auth;

/// <summary>
/// What authorization needs to know of a loaded key or data object (Part 1, 19.7 and Part 2, 8.3
/// TPMA_OBJECT). The keys issue's object class implements it; an object that does not (a hash
/// sequence) is authorized by its authValue only and has no policy.
/// </summary>
internal interface IObjectAuthorization
{
    /// <summary>TPMA_OBJECT userWithAuth: USER role may be given with the authValue (else only a policy).</summary>
    bool UserWithAuth { get; }

    /// <summary>TPMA_OBJECT adminWithPolicy: ADMIN role needs a policy session (else the authValue will do).</summary>
    bool AdminWithPolicy { get; }

    /// <summary>Only the public area is loaded (LoadExternal): there is no authValue or policy to use.</summary>
    bool PublicOnly { get; }

    /// <summary>The object's authPolicy and the nameAlg it was computed with.</summary>
    ReadOnlySpan<byte> AuthPolicy { get; }
    TpmAlgId NameAlg { get; }
}
