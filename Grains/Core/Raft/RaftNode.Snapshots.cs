namespace LockService.Raft;

/// <summary>Log compaction and InstallSnapshot in chunks (paper §7).</summary>
public sealed partial class RaftNode
{
    /// <summary>The snapshot a follower is receiving, chunk by chunk, from the current leader.</summary>
    private IncomingSnapshot? incomingSnapshot;

    /// <summary>
    /// The host took a snapshot of its state machine after applying <paramref name="appliedIndex"/>: the log up to it
    /// is dropped, and followers that still need those entries get this snapshot instead. The host persists the
    /// snapshot itself and may then delete its persisted entries up to <paramref name="appliedIndex"/>.
    /// </summary>
    public void Compact(long appliedIndex, ReadOnlyMemory<byte> snapshotData)
    {
        if (appliedIndex > log.Applied)
        {
            throw new ArgumentOutOfRangeException(
                nameof(appliedIndex), appliedIndex, $"Compact needs an index the host has applied and advanced (applied is {log.Applied}).");
        }

        if (appliedIndex > log.SnapshotIndex)
        {
            log.Compact(appliedIndex, snapshotData);
        }
    }

    private void StartSnapshot(int to)
    {
        var snapshot = log.Snapshot
            ?? throw new InvalidOperationException($"Raft: follower {to} needs index {progress[to].Next} but the log starts at {log.FirstIndex} without a snapshot.");
        progress[to].BecomeSnapshot(snapshot);
        ResendSnapshotChunk(to);
        SendSnapshotWindow(to);
    }

    /// <summary>
    /// Sends the chunk the follower expects next, once more: the last chunks or their answers may have been lost. The
    /// window refills as that chunk is acknowledged.
    /// </summary>
    private void ResendSnapshotChunk(int to)
    {
        var follower = progress[to];
        follower.SnapshotSentEnd = Math.Min(follower.SnapshotOffset, follower.SnapshotBeingSent!.Data.Length);
        SendSnapshotChunkAt(to, follower.SnapshotSentEnd);
    }

    /// <summary>Sends chunks after the last one sent while fewer than <see cref="RaftConfig.SnapshotChunksInFlight"/> are unacknowledged.</summary>
    private void SendSnapshotWindow(int to)
    {
        var follower = progress[to];
        var total = follower.SnapshotBeingSent!.Data.Length;
        var window = (long)config.SnapshotChunksInFlight * config.SnapshotChunkBytes;
        if (follower.SnapshotSentEnd < follower.SnapshotOffset)
        {
            follower.SnapshotSentEnd = Math.Min(follower.SnapshotOffset, total); // acknowledged past a resend: go on from there
        }

        while (follower.SnapshotSentEnd < total && follower.SnapshotSentEnd - follower.SnapshotOffset < window)
        {
            SendSnapshotChunkAt(to, follower.SnapshotSentEnd);
        }
    }

    private void SendSnapshotChunkAt(int to, int offset)
    {
        var follower = progress[to];
        var snapshot = follower.SnapshotBeingSent!;
        var length = Math.Min(config.SnapshotChunkBytes, snapshot.Data.Length - offset);
        follower.SnapshotSentEnd = offset + length;
        Send(new InstallSnapshot(Id, to, Term, snapshot.Metadata, snapshot.Data.Length, offset, snapshot.Data.Slice(offset, length)));
    }

    private void HandleSnapshotResponse(SnapshotResponse response)
    {
        var follower = progress[response.From];
        follower.RecentActive = true;
        if (follower.State != ProgressState.Snapshot || response.SnapshotIndex != follower.PendingSnapshot)
        {
            return;
        }

        // Every chunk sent, duplicated by the network, draws an answer per copy: were every answer to send a chunk,
        // the chunks in flight would multiply without bound (seed 65583). Only an answer that moves the acknowledged
        // offset forward sends more, and only up to the window past it; any other (a duplicate, a stale answer, a
        // follower that started over) just moves the offset, and the next heartbeat's answer resends from there.
        var advanced = response.NextOffset > follower.SnapshotOffset;
        follower.SnapshotOffset = response.NextOffset;
        if (advanced)
        {
            SendSnapshotWindow(response.From);
        }
    }

    private void HandleInstallSnapshot(InstallSnapshot chunk)
    {
        var metadata = chunk.Snapshot;
        if (metadata.LastIncludedIndex <= log.Committed)
        {
            // We already hold everything it covers; tell the leader where our log is known to match.
            incomingSnapshot = null;
            Send(new AppendResponse(Id, chunk.From, Term, Reject: false, log.Committed, 0, 0));
            return;
        }

        if (chunk.TotalBytes < 0 || chunk.Offset < 0 || chunk.Offset + chunk.Chunk.Length > chunk.TotalBytes)
        {
            throw new InvalidOperationException($"Raft: malformed snapshot chunk {chunk}.");
        }

        if (incomingSnapshot is null || incomingSnapshot.Metadata != metadata || incomingSnapshot.Data.Length != chunk.TotalBytes)
        {
            // Started on any chunk: in a window, the first to arrive need not be the one at offset 0.
            incomingSnapshot = new IncomingSnapshot(metadata, new byte[chunk.TotalBytes]);
        }

        var incoming = incomingSnapshot;
        if (chunk.Offset == incoming.Received)
        {
            chunk.Chunk.Span.CopyTo(incoming.Data.AsSpan(chunk.Offset));
            incoming.Received += chunk.Chunk.Length;
            while (incoming.Early.Remove(incoming.Received, out var length))
            {
                incoming.Received += length;
            }
        }
        else if (chunk.Offset > incoming.Received && chunk.Chunk.Length > 0 && incoming.Early.Count < IncomingSnapshot.MaxEarlyChunks
            && incoming.Early.TryAdd(chunk.Offset, chunk.Chunk.Length))
        {
            // A window of chunks arrives out of order: keep the early ones (in place) rather than wait for a resend of each.
            chunk.Chunk.Span.CopyTo(incoming.Data.AsSpan(chunk.Offset));
        }

        if (incoming.Received < incoming.Data.Length || chunk.Offset > incoming.Received)
        {
            Send(new SnapshotResponse(Id, chunk.From, Term, metadata.LastIncludedIndex, incoming.Received));
            return;
        }

        incomingSnapshot = null;
        if (log.MatchTerm(metadata.LastIncludedIndex, metadata.LastIncludedTerm))
        {
            // Our log already holds the snapshot's last entry, so it holds everything before it: keep the log.
            log.CommitTo(metadata.LastIncludedIndex);
        }
        else
        {
            log.Restore(new Snapshot(metadata, incoming.Data));
        }

        Send(new AppendResponse(Id, chunk.From, Term, Reject: false, metadata.LastIncludedIndex, 0, 0));
    }

    private sealed class IncomingSnapshot(SnapshotMetadata metadata, byte[] data)
    {
        public SnapshotMetadata Metadata { get; } = metadata;

        public byte[] Data { get; } = data;

        /// <summary>Early chunks remembered at most (their bytes are already in <see cref="Data"/>).</summary>
        public const int MaxEarlyChunks = 1024;

        public int Received { get; set; }

        /// <summary>Offset and length of chunks copied in ahead of <see cref="Received"/>.</summary>
        public Dictionary<int, int> Early { get; } = [];
    }
}
