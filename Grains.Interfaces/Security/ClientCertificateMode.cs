namespace LockService.Security;

/// <summary>Whether the other side of a connection must show a certificate.</summary>
public enum ClientCertificateMode
{
    /// <summary>Connections without a certificate are accepted (the server still proves itself).</summary>
    None = 0,

    /// <summary>A certificate is checked if shown; connections without one are accepted.</summary>
    Optional = 1,

    /// <summary>Only connections that show a trusted certificate are accepted: untrusted hosts get no session at all.</summary>
    Required = 2,
}
