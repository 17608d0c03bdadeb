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

    /// <summary>Port of the dashboard and lease pages, served on loopback.</summary>
    [Range(1, 65535)]
    public int HttpPort { get; set; } = 8080;

    /// <summary>Port of the primary silo, for Localhost clustering only.</summary>
    [Range(1, 65535)]
    public int PrimarySiloPort { get; set; } = 11111;
}
