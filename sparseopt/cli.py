"""The command line: ``python -m sparseopt {info,tour}``.

``info`` prints versions, where numba caches sparseopt's compiled kernels and
the thread settings. ``tour`` runs every public estimator and solver next to
the library a user would otherwise use (see :mod:`sparseopt.tour`).
"""

import argparse
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

__all__ = ["main", "numba_cache"]

_DEPENDENCIES = ("numpy", "scipy", "scikit-learn", "numba", "cvxpy", "pot")
_OPTIONAL = ("skglm", "celer", "dagma", "dask", "distributed", "asv", "sphinx")

_DESCRIPTION = "sparseopt: classical sparse estimation and optimization."

_EPILOG = """\
examples:
  python -m sparseopt tour              the whole tour (about 2 minutes once
                                        the numba kernels are compiled)
  python -m sparseopt tour --quick      smaller data, under 30 seconds
  python -m sparseopt tour bcd ot       only these families

The first run on a machine compiles sparseopt's numba kernels (a few
minutes) and caches them on disk; set NUMBA_CACHE_DIR to choose where.
"""


def _version(distribution):
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def numba_cache():
    """Where numba caches sparseopt's kernels, and how many are cached.

    numba picks the directory per source folder: next to the sources
    (``__pycache__``) when writable, else under ``NUMBA_CACHE_DIR`` when set,
    else in the user's cache directory.

    Returns
    -------
    location : str
        The cache directory of :mod:`sparseopt.core`'s kernels (the other
        subpackages' kernels sit beside it).
    n_cached : int
        Number of compiled kernels found there (numba index files).
    """
    from numba.core.caching import FunctionCache, _CacheLocator

    import sparseopt
    from sparseopt.core.thresholds import soft_threshold_kernel

    location = Path(FunctionCache(soft_threshold_kernel.py_func).cache_path)
    package = Path(sparseopt.__file__).parent
    folders = sorted({path.parent for path in package.rglob("*.py")})
    if location == package / "core" / "__pycache__":
        directories = [folder / "__pycache__" for folder in folders]
    else:
        root = location.parent
        directories = [root / _CacheLocator.get_suitable_cache_subpath(str(folder / "x.py"))
                       for folder in folders]
    n_cached = sum(len(list(directory.glob("*.nbi"))) for directory in directories
                   if directory.is_dir())
    return str(location), n_cached


def info(stream=None):
    """Print versions, the numba cache location and thread settings.

    Parameters
    ----------
    stream : file-like, optional
        Where to write (default ``sys.stdout``).
    """
    stream = sys.stdout if stream is None else stream
    import numba

    import sparseopt

    location, n_cached = numba_cache()
    lines = [f"sparseopt     {sparseopt.__version__} ({Path(sparseopt.__file__).parent})",
             f"python        {platform.python_version()} ({sys.executable})",
             f"platform      {platform.platform()}"]
    lines += [f"{name:<13} {_version(name)}" for name in _DEPENDENCIES]
    lines += ["optional:"] + [f"  {name:<11} {_version(name)}" for name in _OPTIONAL]
    lines += [
        f"numba cache   {location} ({n_cached} compiled kernels cached in sparseopt's "
        "cache folders)",
        f"              NUMBA_CACHE_DIR={os.environ.get('NUMBA_CACHE_DIR', 'unset')}",
        f"numba JIT     {'disabled' if numba.config.DISABLE_JIT else 'enabled'}",
        f"threads       numba {numba.config.NUMBA_NUM_THREADS}, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
        f"cpus {os.cpu_count()}",
    ]
    stream.write("\n".join(lines) + "\n")


def tour(families=None, *, quick=False, stream=None):
    """Print how the tour runs, then run it (see :func:`sparseopt.tour.run_tour`).

    Parameters
    ----------
    families : list of str, optional
        Families to run (default all).
    quick : bool, default=False
        Smaller data; anchors that JIT-compile in every process are skipped.
    stream : file-like, optional
        Where to write (default ``sys.stdout``).

    Returns
    -------
    results : list
        What :func:`sparseopt.tour.run_tour` returns.
    """
    stream = sys.stdout if stream is None else stream
    import sparseopt
    from sparseopt.tour import run_tour

    location, n_cached = numba_cache()
    state = ("none is cached yet: this run compiles them, expect a few minutes"
             if n_cached == 0 else
             f"{n_cached} are cached: kernels not cached yet compile on first use")
    stream.write(
        f"sparseopt {sparseopt.__version__} tour{' (quick)' if quick else ''}: each task runs "
        "sparseopt, then the libraries you would otherwise use, on the same data in this "
        "process.\n"
        f"numba compiles sparseopt's kernels on their first call and caches them in "
        f"{location}; {state} (column '1st call').\n")
    stream.flush()
    return run_tour(families, quick=quick, stream=stream)


def main(argv=None):
    """Command-line entry point.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    status : int
        Exit status.
    """
    import sparseopt

    parser = argparse.ArgumentParser(
        prog="python -m sparseopt", description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version",
                        version=f"sparseopt {sparseopt.__version__}")
    commands = parser.add_subparsers(title="commands", dest="command", required=True,
                                     metavar="{info,tour}")
    commands.add_parser("info", help="versions, numba cache directory and threads",
                        description="Print versions, the numba cache directory and threads.")
    tour_parser = commands.add_parser(
        "tour", help="fit every public estimator next to scikit-learn, skglm, celer, POT "
                     "and dagma on the same data, with time ratios",
        description="Fit every public estimator and solver next to scikit-learn, skglm,\n"
                    "celer, POT and dagma on the same data; print one row per\n"
                    "implementation as it completes.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    tour_parser.add_argument("families", nargs="*", metavar="family",
                             help="families to run (default all), e.g. bcd dag ot")
    tour_parser.add_argument("--quick", action="store_true",
                             help="smaller data and no anchor that compiles in every process "
                                  "(under 30 s once the kernels are cached)")
    arguments = parser.parse_args(argv)
    if arguments.command == "info":
        info()
        return 0
    from sparseopt.tour import tour_families

    unknown = sorted(set(arguments.families) - set(tour_families()))
    if unknown:
        parser.error(f"no tour rows for {', '.join(unknown)}; choose among "
                     f"{', '.join(tour_families())}")
    tour(arguments.families or None, quick=arguments.quick)
    return 0
