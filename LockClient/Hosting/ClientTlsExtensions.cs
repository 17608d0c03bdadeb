using LockService.Security;
using Orleans.Connections.Security;

namespace LockService.Client.Hosting;

/// <summary>TLS between this client and the lock service's gateways.</summary>
public static class ClientTlsExtensions
{
    /// <summary>
    /// TLS to the gateway: the silo's certificate must chain to <see cref="LockServiceTlsOptions.TrustedCertificatePath"/>,
    /// and this client shows its own certificate (<see cref="LockServiceTlsOptions.CertificatePath"/>; leave it empty
    /// to show none, for clusters that do not require client certificates).
    /// </summary>
    public static IClientBuilder UseLockServiceTls(this IClientBuilder builder, LockServiceTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var trusted = options.LoadTrusted();
        var certificate = string.IsNullOrEmpty(options.CertificatePath) ? null : options.LoadCertificate();
        return builder.UseTls(tls =>
        {
            tls.LocalCertificate = certificate;
            tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            tls.RemoteCertificateValidation = (remote, _, errors) => TrustedRoot.Validates(trusted, remote, errors);
        });
    }
}
