namespace LockService.Raft;

internal enum VoteOutcome : byte
{
    Pending,
    Won,
    Lost,
}

/// <summary>Majority arithmetic, and nothing else.</summary>
internal static class Quorum
{
    public static int Size(int voters) => voters / 2 + 1;

    /// <summary>
    /// The highest index that a majority holds: sort the match indexes in descending order and take the one at
    /// position quorum-1. Sorts <paramref name="matchIndexes"/> in place (a handful of elements: insertion sort).
    /// </summary>
    public static long CommittedIndex(Span<long> matchIndexes)
    {
        for (var i = 1; i < matchIndexes.Length; i++)
        {
            var value = matchIndexes[i];
            var j = i - 1;
            for (; j >= 0 && matchIndexes[j] < value; j--)
            {
                matchIndexes[j + 1] = matchIndexes[j];
            }

            matchIndexes[j + 1] = value;
        }

        return matchIndexes[Size(matchIndexes.Length) - 1];
    }

    public static VoteOutcome Tally(int granted, int rejected, int voters)
    {
        var quorum = Size(voters);
        if (granted >= quorum)
        {
            return VoteOutcome.Won;
        }

        return voters - rejected < quorum ? VoteOutcome.Lost : VoteOutcome.Pending;
    }
}
