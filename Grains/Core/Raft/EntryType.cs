namespace LockService.Raft;

public enum EntryType : byte
{
    /// <summary>A command from the host; its bytes are opaque to Raft.</summary>
    Normal = 0,

    /// <summary>The empty entry a new leader appends so that it can commit entries of earlier terms (paper §5.4.2).</summary>
    NoOp = 1,
}
