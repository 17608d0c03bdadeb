using System.ComponentModel.DataAnnotations;

namespace LockService.Silo.Hosting;

/// <summary>Where a silo listens and which cluster and storage it belongs to. Bound from the "LockService" section.</summary>
public sealed class SiloHostOptions
{
    public const string SectionName = "LockService";

    /// <summary>"AzureTable" for a real multi-silo cluster, "Localhost" for a single-silo dev host.</summary>
    [Required]
    public string Clustering { get; set; } = "AzureTable";

    /// <summary>Azure Storage connection string (Azurite's well-known one for local runs).</summary>
    [Required]
    public string StorageConnectionString { get; set; } = "UseDevelopmentStorage=true";

    [Required]
    public string ClusterId { get; set; } = "lockservice-dev";

    [Required]
    public string ServiceId { get; set; } = "lockservice";

    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// The address other silos and clients dial for this silo (its silo and gateway endpoints). Loopback by default;
    /// set it to the machine's address for a cluster that spans machines.
    /// </summary>
    [Required]
    [IpAddress]
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>Bind the silo and gateway ports on every interface rather than only on <see cref="AdvertisedAddress"/>.</summary>
    public bool ListenOnAnyAddress { get; set; }

    /// <summary>Where the dashboard, lease pages, JSON API, health and metrics listen; "0.0.0.0" for every interface.</summary>
    [Required]
    [IpAddress]
    public string HttpListenAddress { get; set; } = "127.0.0.1";

    /// <summary>Port of the dashboard, lease pages, JSON API, health checks and metrics.</summary>
    [Range(1, 65535)]
    public int HttpPort { get; set; } = 8080;

    /// <summary>Port of the primary silo, for Localhost clustering only.</summary>
    [Range(1, 65535)]
    public int PrimarySiloPort { get; set; } = 11111;
}
