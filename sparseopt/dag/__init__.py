"""DAG structure estimation (coming).

Will hold CoLiDE-EV / CoLiDE-NV (Saboksayr, Mateos & Tepper), a DAGMA-linear
baseline, graph metrics (SHD, SID, ...) and linear SEM simulators.
"""

__all__ = []
