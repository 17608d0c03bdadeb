using Orleans.Hosting;

namespace LockService.Hosting;

/// <summary>
/// The grain directory of the replicas: Orleans' strongly consistent in-cluster directory, not the default one.
/// <para>
/// Why: the default directory keeps each grain's entry on one silo only, so when that silo dies Orleans deactivates
/// every activation registered there, wherever it runs, to avoid duplicates. A SIGKILL of one silo thereby also
/// deactivated healthy replicas on the surviving silos (whose entries it happened to hold): the group lost its
/// majority for as long as they took to reactivate, and failovers took 2-2.5 s instead of one election. The
/// strongly consistent directory recovers a dead silo's entries from the survivors instead, and prevents the
/// duplicate activations that the default one allows while the cluster is unstable.
/// </para>
/// </summary>
public static class ReplicaDirectory
{
    public const string Name = "lockservice-replicas";

    internal static void Add(ISiloBuilder builder)
    {
#pragma warning disable ORLEANSEXP003 // Experimental in Orleans 10: chosen by measurement (docs/RELIABILITY.md)
        builder.AddDistributedGrainDirectory(Name);
#pragma warning restore ORLEANSEXP003
    }
}
