"""The optional Dask bridge: map independent work onto a cluster.

Estimators whose work outgrows one machine take a ``client`` argument (or use
the active :class:`distributed.Client`) and hand their per-agent or
per-chunk tasks to :func:`parallel_map`. Without Dask installed, or without
a client, the work runs in-process, sequentially.
"""

__all__ = ["get_dask_client", "parallel_map"]


def get_dask_client(client=None):
    """Return ``client``, else the active Dask client, else ``None``.

    Parameters
    ----------
    client : distributed.Client, optional
        An explicit client.

    Returns
    -------
    client : distributed.Client or None
        The client to use; ``None`` means "run in-process".

    Examples
    --------
    >>> from sparseopt.utils import get_dask_client
    >>> get_dask_client() is None  # no cluster running
    True
    """
    if client is not None:
        return client
    try:
        from distributed import get_client
    except ImportError:
        return None
    try:
        return get_client()
    except ValueError:  # no active client
        return None


def parallel_map(function, items, *, client=None):
    """Apply ``function`` to every item, on a Dask cluster when one is available.

    Parameters
    ----------
    function : callable
        A picklable function of one argument.
    items : iterable
        Its arguments.
    client : distributed.Client, optional
        Cluster to use; defaults to the active client, and to in-process
        execution when there is none.

    Returns
    -------
    results : list
        ``[function(item) for item in items]``, in order.

    Examples
    --------
    >>> from sparseopt.utils import parallel_map
    >>> parallel_map(abs, [-1, 2, -3])
    [1, 2, 3]
    """
    items = list(items)
    client = get_dask_client(client)
    if client is None:
        return [function(item) for item in items]
    futures = client.map(function, items, pure=False)
    return client.gather(futures)
