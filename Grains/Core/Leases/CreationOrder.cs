namespace LockService.Leases;

/// <summary>
/// An item of a <see cref="CreationOrder{T}"/>: the links live in the item, so adding and removing cost no
/// allocation and O(1).
/// </summary>
internal abstract class CreationOrdered<T>
    where T : CreationOrdered<T>
{
    internal T? OrderPrev;
    internal T? OrderNext;
}

/// <summary>
/// Items in the order they were created. Snapshots walk this order rather than a hash table's, whose order
/// depends on the history of removals; so two replicas with the same state write the same bytes.
/// </summary>
internal sealed class CreationOrder<T>
    where T : CreationOrdered<T>
{
    public T? First { get; private set; }

    public T? Last { get; private set; }

    public int Count { get; private set; }

    public void Add(T item)
    {
        item.OrderPrev = Last;
        item.OrderNext = null;
        if (Last is null)
        {
            First = item;
        }
        else
        {
            Last.OrderNext = item;
        }

        Last = item;
        Count++;
    }

    public void Remove(T item)
    {
        if (item.OrderPrev is null)
        {
            First = item.OrderNext;
        }
        else
        {
            item.OrderPrev.OrderNext = item.OrderNext;
        }

        if (item.OrderNext is null)
        {
            Last = item.OrderPrev;
        }
        else
        {
            item.OrderNext.OrderPrev = item.OrderPrev;
        }

        item.OrderPrev = null;
        item.OrderNext = null;
        Count--;
    }
}
