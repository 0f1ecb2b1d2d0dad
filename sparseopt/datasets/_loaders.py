"""Loaders of real data: small files vendored in this package and data sets
shipped inside other installed packages. Nothing is downloaded."""

import csv
import io
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

__all__ = ["load_vendored_csv", "load_bundled", "load_digits_ink", "load_sachs",
           "vendored_files"]

_DATA_PACKAGE = "sparseopt.datasets"
_BUNDLED = {
    "diabetes": "load_diabetes",
    "breast_cancer": "load_breast_cancer",
    "digits": "load_digits",
    "wine": "load_wine",
    "iris": "load_iris",
    "linnerud": "load_linnerud",
}


def vendored_files():
    """Names of the data files vendored in :mod:`sparseopt.datasets`.

    Returns
    -------
    names : list of str
        CSV file names under ``sparseopt/datasets/data/``; their provenance
        is described in ``PROVENANCE.md`` next to them.

    Examples
    --------
    >>> from sparseopt.datasets import vendored_files
    >>> "sachs_cd3cd28.csv" in vendored_files()
    True
    """
    folder = resources.files(_DATA_PACKAGE) / "data"
    return sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".csv"))


def load_vendored_csv(filename):
    """Load a numeric CSV file vendored in ``sparseopt/datasets/data/``.

    The first row holds the column names; every other cell must be a number.

    Parameters
    ----------
    filename : str
        One of :func:`vendored_files`.

    Returns
    -------
    bunch : sklearn.utils.Bunch
        ``data`` (ndarray of shape (n_rows, n_columns)),
        ``feature_names`` (list of str), ``filename`` and ``provenance``
        (the text of ``PROVENANCE.md``).

    Raises
    ------
    ValueError
        If ``filename`` is not a vendored file.

    Examples
    --------
    >>> from sparseopt.datasets import load_vendored_csv
    >>> load_vendored_csv("sachs_cd3cd28.csv").data.shape
    (853, 11)
    """
    available = vendored_files()
    if filename not in available:
        raise ValueError(f"filename must be one of {available}, got {filename!r}.")
    folder = resources.files(_DATA_PACKAGE) / "data"
    text = (folder / filename).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], [row for row in rows[1:] if row]
    try:
        data = np.array(body, dtype=np.float64)
    except ValueError:  # a table of names (e.g. an edge list)
        data = np.array(body, dtype=object)
    provenance = (folder / "PROVENANCE.md").read_text(encoding="utf-8")
    return Bunch(data=data, feature_names=header, filename=filename, provenance=provenance)


def load_bundled(name, **kwargs):
    """Load a data set that ships inside scikit-learn (no download).

    Parameters
    ----------
    name : {"diabetes", "breast_cancer", "digits", "wine", "iris", "linnerud"}
        The data set.
    **kwargs : dict
        Passed to the scikit-learn loader (e.g. ``scaled=False`` for diabetes).

    Returns
    -------
    bunch : sklearn.utils.Bunch
        What the scikit-learn loader returns (``data``, ``target``, ...).

    Raises
    ------
    ValueError
        If ``name`` is unknown.

    Examples
    --------
    >>> from sparseopt.datasets import load_bundled
    >>> load_bundled("diabetes").data.shape
    (442, 10)
    """
    if name not in _BUNDLED:
        raise ValueError(f"name must be one of {sorted(_BUNDLED)}, got {name!r}.")
    import sklearn.datasets

    return getattr(sklearn.datasets, _BUNDLED[name])(**kwargs)


def load_digits_ink(classes=(3, 8)):
    """Digits of some classes with their total ink as a covariate (no download).

    The supervised dictionary-learning task of the gallery and of the
    benchmarks: the 8x8 images of scikit-learn's bundled digits of the given
    classes, pixels divided by 16 and centred, with one auxiliary covariate,
    the total ink of each image (its pixel sum before centring),
    standardised.

    Parameters
    ----------
    classes : sequence of int, default=(3, 8)
        At least two distinct digits, each from 0 to 9.

    Returns
    -------
    X : ndarray of shape (n_images, 64)
        Centred pixels.
    y : ndarray of shape (n_images,)
        The digits.
    covariates : ndarray of shape (n_images, 1)
        Standardised total ink.

    Raises
    ------
    ValueError
        If ``classes`` holds fewer than two distinct digits or a value
        outside 0-9.

    Examples
    --------
    >>> from sparseopt.datasets import load_digits_ink
    >>> X, y, covariates = load_digits_ink()
    >>> X.shape, covariates.shape, sorted(set(y.tolist()))
    ((357, 64), (357, 1), [3, 8])
    """
    values = np.unique(np.asarray(classes).ravel())
    if values.size < 2 or not all(float(v).is_integer() and 0 <= v <= 9 for v in values):
        raise ValueError(f"classes must hold at least two distinct digits from 0 to 9, "
                         f"got {classes!r}.")
    digits = load_bundled("digits")
    keep = np.isin(digits.target, values)
    X, y = digits.data[keep] / 16.0, digits.target[keep]
    ink = X.sum(axis=1, keepdims=True)
    return X - X.mean(axis=0), y, (ink - ink.mean()) / ink.std()


def load_sachs():
    """The Sachs et al. (2005) flow-cytometry data with its consensus graph.

    853 single-cell measurements (raw values) of 11 phosphorylated proteins
    and phospholipids in human T cells under the CD3/CD28 stimulation (the
    observational condition), and the 17-arc consensus network used as ground
    truth by the DAGMA and CoLiDE papers. Provenance:
    ``sparseopt/datasets/data/PROVENANCE.md``.

    Returns
    -------
    bunch : sklearn.utils.Bunch
        ``data`` (853 x 11 float array), ``target`` (11 x 11 0/1 adjacency
        matrix, ``target[i, j] = 1`` for an edge ``i -> j``),
        ``feature_names`` (the 11 measured variables, in column order) and
        ``provenance``.

    Examples
    --------
    >>> from sparseopt.datasets import load_sachs
    >>> sachs = load_sachs()
    >>> sachs.data.shape, int(sachs.target.sum())
    ((853, 11), 17)
    """
    measurements = load_vendored_csv("sachs_cd3cd28.csv")
    edges = load_vendored_csv("sachs_consensus_edges.csv")
    names = measurements.feature_names
    index = {name: k for k, name in enumerate(names)}
    target = np.zeros((len(names), len(names)), dtype=np.int64)
    for cause, effect in edges.data:
        target[index[cause], index[effect]] = 1
    return Bunch(data=measurements.data, target=target, feature_names=names,
                 provenance=measurements.provenance)
