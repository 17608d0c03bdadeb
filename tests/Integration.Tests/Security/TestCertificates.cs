using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LockService.Security;

namespace LockService.Integration.Tests.Security;

/// <summary>
/// A throw-away private CA with certificates it issued (one for the silos, one for a client) and one self-signed
/// certificate nobody trusts, written as files the way an operator provides them. Deleted on dispose.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private readonly string _directory = System.IO.Directory.CreateTempSubdirectory("lockservice-tls-").FullName;

    public TestCertificates()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=LockService test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        CaPath = Path.Combine(_directory, "ca.cer");
        File.WriteAllBytes(CaPath, ca.Export(X509ContentType.Cert));
        SiloPath = Issue(ca, "silo", 1);
        ClientPath = Issue(ca, "client", 2);
        UntrustedPath = SelfSigned("stranger");
    }

    public string CaPath { get; }

    public string SiloPath { get; }

    public string ClientPath { get; }

    public string UntrustedPath { get; }

    public LockServiceTlsOptions Silo(ClientCertificateMode clients) =>
        new() { Enabled = true, CertificatePath = SiloPath, TrustedCertificatePath = CaPath, ClientCertificates = clients };

    public LockServiceTlsOptions Client(string? certificatePath) =>
        new() { Enabled = true, CertificatePath = certificatePath ?? "", TrustedCertificatePath = CaPath };

    public void Dispose() => System.IO.Directory.Delete(_directory, recursive: true);

    private string Issue(X509Certificate2 ca, string name, byte serial)
    {
        using var key = RSA.Create(2048);
        var request = Leaf(name, key);
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(6), [serial, 1, 2, 3]);
        using var withKey = issued.CopyWithPrivateKey(key);
        return Write(name, withKey);
    }

    private string SelfSigned(string name)
    {
        using var key = RSA.Create(2048);
        using var certificate = Leaf(name, key).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        return Write(name, certificate);
    }

    private static CertificateRequest Leaf(string name, RSA key)
    {
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false)); // server and client authentication
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        return request;
    }

    private string Write(string name, X509Certificate2 certificate)
    {
        var path = Path.Combine(_directory, name + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12));
        return path;
    }
}
