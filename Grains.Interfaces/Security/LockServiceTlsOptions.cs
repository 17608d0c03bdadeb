using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography.X509Certificates;

namespace LockService.Security;

/// <summary>
/// TLS for Orleans connections, silo to silo and client to gateway (<c>LockService:Tls</c> on a silo,
/// <c>LockClient:Tls</c> on a client). Every certificate is checked against <see cref="TrustedCertificatePath"/> (a
/// private CA, or the one self-signed certificate of a development cluster), never against the machine's store, so a
/// certificate from a public CA does not get in by accident.
/// </summary>
public sealed class LockServiceTlsOptions
{
    /// <summary>Off unless set.</summary>
    public bool Enabled { get; set; }

    /// <summary>This process's certificate with its private key (PKCS#12 / .pfx).</summary>
    [Required]
    public string CertificatePath { get; set; } = "";

    /// <summary>Password of <see cref="CertificatePath"/>, if any. Prefer an environment variable or a secret store.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>The certificate (CA or self-signed, .cer/.pem/.pfx) the other side's certificate must chain to.</summary>
    [Required]
    public string TrustedCertificatePath { get; set; } = "";

    /// <summary>On a silo: whether clients and other silos must show a certificate. Silos always show theirs.</summary>
    public ClientCertificateMode ClientCertificates { get; set; } = ClientCertificateMode.Required;

    public X509Certificate2 LoadCertificate() =>
        X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, CertificatePassword, X509KeyStorageFlags.Exportable);

    public X509Certificate2 LoadTrusted() =>
        TrustedCertificatePath.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase)
            ? X509CertificateLoader.LoadPkcs12FromFile(TrustedCertificatePath, CertificatePassword)
            : X509CertificateLoader.LoadCertificateFromFile(TrustedCertificatePath);
}
