using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace LockService.Security;

/// <summary>
/// Checks a remote certificate against one trusted root only (not the machine's store). Host names are not compared:
/// silos connect to each other by address, and only certificates issued under the cluster's own root get in.
/// </summary>
public static class TrustedRoot
{
    public static bool Validates(X509Certificate2 trusted, X509Certificate2? remote, SslPolicyErrors errors)
    {
        if (remote is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // a private CA has no revocation service; rotate instead
        return chain.Build(remote);
    }
}
