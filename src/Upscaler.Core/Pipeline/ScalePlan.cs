namespace Upscaler.Core.Pipeline;

/// <summary>
/// Which model passes reach a requested factor: the chain of available model scales (largest first,
/// at most three passes) whose product is the smallest that reaches or passes the factor, preferring
/// fewer passes. The exact size is then reached by resampling.
/// </summary>
internal static class ScalePlan
{
    private const int MaxPasses = 3;

    public static IReadOnlyList<int> Choose(IReadOnlyList<int> available, double factor)
    {
        if (available.Count == 0)
            throw new ArgumentException("no model scales available", nameof(available));

        var descending = available.Distinct().OrderDescending().ToArray();
        IReadOnlyList<int>? best = null;
        long bestProduct = 0;
        foreach (var chain in Chains(descending, MaxPasses))
        {
            long product = chain.Aggregate(1L, (p, s) => p * s);
            bool reaches = product >= factor - 1e-9;
            bool bestReaches = best is not null && bestProduct >= factor - 1e-9;
            bool better = best is null
                || (reaches && !bestReaches)
                || (reaches && bestReaches && (product < bestProduct || (product == bestProduct && chain.Count < best.Count)))
                || (!reaches && !bestReaches && product > bestProduct);
            if (better)
            {
                best = chain;
                bestProduct = product;
            }
        }
        return best!;
    }

    /// <summary>Non-increasing chains of 1 to <paramref name="maxLength"/> scales.</summary>
    private static IEnumerable<IReadOnlyList<int>> Chains(int[] descending, int maxLength)
    {
        IEnumerable<List<int>> Extend(List<int> prefix, int start)
        {
            for (int i = start; i < descending.Length; i++)
            {
                var chain = new List<int>(prefix) { descending[i] };
                yield return chain;
                if (chain.Count < maxLength)
                    foreach (var longer in Extend(chain, i))
                        yield return longer;
            }
        }
        return Extend([], 0);
    }
}
