using Orleans.Connections.Security;

namespace LockService.Security;

public static class SiloTlsExtensions
{
    /// <summary>
    /// TLS on every Orleans connection of this silo: to and from other silos (each side shows its certificate, which
    /// must chain to <see cref="LockServiceTlsOptions.TrustedCertificatePath"/>) and from clients at the gateway (a
    /// client certificate is required, optional or not asked for, as <see cref="LockServiceTlsOptions.ClientCertificates"/> says).
    /// </summary>
    public static ISiloBuilder UseLockServiceTls(this ISiloBuilder builder, LockServiceTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var certificate = options.LoadCertificate();
        var trusted = options.LoadTrusted();
        return builder.UseTls(certificate, tls =>
        {
            tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            tls.ClientCertificateMode = options.ClientCertificates switch
            {
                ClientCertificateMode.Required => RemoteCertificateMode.RequireCertificate,
                ClientCertificateMode.Optional => RemoteCertificateMode.AllowCertificate,
                _ => RemoteCertificateMode.NoCertificate,
            };
            tls.RemoteCertificateValidation = (remote, _, errors) => TrustedRoot.Validates(trusted, remote, errors);
        });
    }
}
