"""Where the ADMM agents live: in this process, or one per Dask worker.

Both pools take the same agent states and run the same functions, so that
they give identical results (the quantizers are seeded per round and agent).
With :class:`DaskPool` an agent's local problem (its data part) is built on
a worker and stays there: each round sends the broadcast consensus point to
the agent's task and brings back only its quantized message. An agent's
state is the result of a chain of tasks (``build`` then one ``advance`` per
round), so a worker lost mid-run is recovered by Dask recomputing the chain
elsewhere (deterministically); if that fails too, :class:`DaskPool` raises a
``RuntimeError`` saying which agent was lost and why, never a silently
wrong result.
"""

from sparseopt.solvers.admm.consensus import AgentState, advance_agent

__all__ = ["AgentLost", "DaskPool", "SerialPool"]


class AgentLost(RuntimeError):
    """An agent's state could not be recovered after a worker failure."""


def _build(local_factory, factory_args, index, start, options, state):
    return state(local_factory(*factory_args), index, start, options)


def _message(state):
    return state.message


def _evaluate(state, theta):
    return state.local.objective(theta, state.zeta), state.zeta


class SerialPool:
    """Every agent in this process, one after the other.

    Parameters
    ----------
    local_factory : callable
        Builds an agent's local problem from ``factory_args[j]``.
    factory_args : list of tuple
        One argument tuple per agent.
    start : ndarray
        Starting iterate of every agent.
    options : dict
        Quantizer options (see :class:`.consensus.AgentState`).
    state : type, default=AgentState
        The agents' state, built as ``state(local, index, start, options)``.
    step : callable, default=advance_agent
        One round of an agent: ``step(state, *args) -> new state`` whose
        ``message`` is what it sends (the ADMM round by default; any
        exchange of the same shape, e.g.
        :func:`sparseopt.solvers.lmk.distributed.advance_statistics`).
    """

    def __init__(self, local_factory, factory_args, start, options, *, state=AgentState,
                 step=advance_agent):
        self.step = step
        self.states = [_build(local_factory, args, j, start, options, state)
                       for j, args in enumerate(factory_args)]
        self.n_agents = len(self.states)

    def advance(self, *args):
        """One round of every agent (``step(state, *args)``); their messages."""
        self.states = [self.step(s, *args) for s in self.states]
        return [s.message for s in self.states]

    def evaluate(self, theta):
        """Each agent's ``(local objective at theta, local iterate)``."""
        return [_evaluate(s, theta) for s in self.states]

    def close(self):
        """Nothing to release."""


class DaskPool:
    """One agent per Dask worker (round robin), its data built and kept there.

    Parameters
    ----------
    client : distributed.Client
        The cluster.
    local_factory, factory_args, start, options, state, step
        As in :class:`SerialPool`.
    """

    def __init__(self, client, local_factory, factory_args, start, options, *,
                 state=AgentState, step=advance_agent):
        self.client, self.step = client, step
        workers = sorted(client.scheduler_info()["workers"])
        if not workers:
            raise AgentLost("the Dask cluster has no worker to host the agents")
        self.n_agents = len(factory_args)
        self.states = [
            client.submit(_build, local_factory, args, j, start, options, state,
                          workers=[workers[j % len(workers)]], allow_other_workers=True,
                          pure=False)
            for j, args in enumerate(factory_args)]

    def _gather(self, futures, what):
        try:
            return self.client.gather(futures)
        except Exception as exc:  # noqa: BLE001 - any scheduler failure ends the fit
            lost = [j for j, f in enumerate(futures) if f.status in ("error", "lost",
                                                                      "cancelled")]
            raise AgentLost(
                f"SLIM-KL could not {what} agent(s) {lost or 'unknown'}: their Dask worker "
                f"was lost and recomputing their state failed ({type(exc).__name__}: {exc}). "
                "The fit stopped rather than return a model missing their data; restart the "
                "workers (or use backend='serial') and fit again.") from exc

    def advance(self, *args):
        """One round of every agent, each on its worker; their messages."""
        submit = self.client.submit
        self.states = [submit(self.step, s, *args, pure=False) for s in self.states]
        return self._gather([submit(_message, s, pure=False) for s in self.states],
                            f"run round {args[-1]} of")

    def evaluate(self, theta):
        """Each agent's ``(local objective at theta, local iterate)``, from its worker."""
        return self._gather([self.client.submit(_evaluate, s, theta, pure=False)
                             for s in self.states], "evaluate")

    def close(self):
        """Release the agents' states on the cluster."""
        for state in self.states:
            state.release()
        self.states = []
