r"""Grid spectral mixture atoms on a data set, without forming them one by one.

Atom :math:`i` of a grid spectral mixture (product) kernel is the stationary
kernel

.. math:: k_i(x, x') = \prod_{p=1}^P \exp(-2\pi^2 \tau_p^2 s_{ip}^2)
          \cos(2\pi m_{ip} \tau_p), \qquad \tau = x - x',

with frequency :math:`m_i` and spectral standard deviation :math:`s_i`
(Wilson & Adams' spectral mixture with a fixed grid; Suwandi et al.'s GSM and
GSMP kernels). The learning algorithms only need, per atom, inner products
:math:`\langle M, K_i\rangle` with a symmetric matrix (the trace
:math:`\operatorname{tr}(C^{-1}K_i)`), quadratic forms :math:`v^\top K_i v`
and products :math:`K_i v`, and the Gram matrix :math:`\sum_i w_i K_i`.
:class:`SpectralAtoms` computes them in :math:`O(n^2 + nA)` memory (the
``A`` atoms of ``n x n`` are never stored) by one of three exact methods:

- ``"lag"``: when every input dimension is sampled on a lattice (equally
  spaced values, gaps allowed) with few distinct lags, every atom is a
  function of the lag: with the lag index :math:`\ell(j, k)` of each pair
  and the table :math:`T_{\ell i} = k_i(\tau_\ell)`,
  :math:`\langle M, K_i\rangle = \sum_\ell T_{\ell i} \sum_{\ell(j,k)=\ell}
  M_{jk}`: one :math:`O(n^2)` accumulation and an :math:`O(n_{lags} A)`
  product for all atoms (regular time series: :math:`n_{lags} = n`).
- ``"dense"``: the atoms sharing a scale row share the envelope :math:`E`,
  and :math:`\cos(a - b) = \cos a \cos b + \sin a \sin b` turns the cosine
  product into :math:`2^{P-1}` rank-2 terms with features
  :math:`c = \cos\varphi`, :math:`s = \sin\varphi`, so that
  :math:`\langle M, K_i\rangle = 2^{1-P}\sum [c^\top (M\circ E) c +
  s^\top (M \circ E) s]`: BLAS products of cost :math:`O(n^2 A 2^{P-1})`,
  features computed on the fly in chunks.
- ``"direct"``: for many input dimensions (the :math:`2^{P-1}` terms of
  ``"dense"`` grow exponentially) each atom's cosine product
  :math:`\prod_p \cos(2\pi m_{ip}\tau_p)` is formed on the fly from the
  ``P`` difference matrices, cost :math:`O(n^2 P)` per atom and memory
  :math:`O(n^2 P)`.
"""

import itertools

import numpy as np

__all__ = ["SpectralAtoms", "spectral_gram", "spectral_atom_stack"]

_TWO_PI = 2.0 * np.pi
_CHUNK_ENTRIES = 1 << 22  # feature entries (n x atoms x patterns) per chunk: 32 MB
_MAX_LAGS_PER_SAMPLE = 4  # the lag method pays while n_lags <= 4 n (measured: n=900, A=500)
# "direct" above: measured at n=200, A=30 (traces + gram), dense 0.32 s / direct 1.07 s at
# P=8, 1.34 s / 1.42 s at P=10 (BLAS on 2^{P-1} features beats n^2 P cosines until then)
_MAX_DENSE_DIMS = 10


def _use_direct(n_dims):
    return n_dims > _MAX_DENSE_DIMS


def _differences(X, Y):
    """The ``P`` matrices :math:`x_p - y_p`, shape (P, len(X), len(Y))."""
    return X.T[:, :, None] - Y.T[:, None, :]


def _cosine_product(differences, mean_row):
    r""":math:`\prod_p \cos(2\pi m_p (x_p - y_p))` from the difference matrices."""
    product = np.ones(differences.shape[1:])
    for p, mean in enumerate(mean_row):
        if mean != 0.0:
            product *= np.cos(_TWO_PI * mean * differences[p])
    return product


def _sign_patterns(n_dims):
    """The :math:`2^{P-1}` sign vectors with a leading +1 (shape (S, P))."""
    rest = list(itertools.product((1.0, -1.0), repeat=n_dims - 1))
    return np.array([(1.0, *signs) for signs in rest]).reshape(-1, n_dims)


def _features(X, means, patterns):
    """Cosine and sine features, shape (n, atoms * patterns), atom-major."""
    frequencies = (means[:, None, :] * patterns[None, :, :]).reshape(-1, X.shape[1])
    phases = _TWO_PI * (X @ frequencies.T)
    return np.cos(phases), np.sin(phases)


def _envelope(X, Y, scale_row):
    """:math:`\\exp(-2\\pi^2 \\sum_p s_p^2 (x_p - y_p)^2)` of shape (len(X), len(Y))."""
    exponent = np.zeros((X.shape[0], Y.shape[0]))
    for p, scale in enumerate(scale_row):
        if scale != 0.0:
            diff = X[:, p, None] - Y[None, :, p]
            exponent -= (2.0 * np.pi ** 2 * scale * scale) * diff * diff
    return np.exp(exponent, out=exponent)


def _scale_groups(scales):
    """Atoms grouped by identical scale rows: ``[(scale_row, atom_indices), ...]``."""
    rows, inverse = np.unique(scales, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    return [(rows[g], np.flatnonzero(inverse == g)) for g in range(rows.shape[0])]


def _chunks(index, n_samples, n_patterns):
    size = max(1, _CHUNK_ENTRIES // max(1, n_samples * n_patterns))
    for start in range(0, len(index), size):
        yield index[start:start + size]


def spectral_gram(X, Y, weights, means, scales):
    r""":math:`\sum_i w_i k_i(x, y)` between the rows of ``X`` and ``Y`` (dense method).

    Parameters
    ----------
    X : ndarray of shape (n, P)
        First inputs.
    Y : ndarray of shape (m, P)
        Second inputs.
    weights : ndarray of shape (A,)
        Atom weights (atoms with weight 0 are skipped).
    means, scales : ndarray of shape (A, P)
        Frequencies and spectral standard deviations.

    Returns
    -------
    gram : ndarray of shape (n, m)
    """
    shift = X.mean(axis=0) if X.shape[0] else np.zeros(X.shape[1])
    X, Y = X - shift, Y - shift  # stationary: smaller phases, same kernel
    if _use_direct(X.shape[1]):
        differences = _differences(X, Y)
        gram = np.zeros((X.shape[0], Y.shape[0]))
        active = np.flatnonzero(weights)
        for scale_row, members in _scale_groups(scales[active]):
            inner = np.zeros_like(gram)
            for i in active[members]:
                inner += weights[i] * _cosine_product(differences, means[i])
            gram += _envelope(X, Y, scale_row) * inner
        return gram
    patterns = _sign_patterns(X.shape[1])
    factor = 0.5 ** (X.shape[1] - 1)
    gram = np.zeros((X.shape[0], Y.shape[0]))
    active = np.flatnonzero(weights)
    for scale_row, members in _scale_groups(scales[active]):
        members = active[members]
        inner = np.zeros_like(gram)
        for chunk in _chunks(members, max(X.shape[0], Y.shape[0]), len(patterns)):
            cos_x, sin_x = _features(X, means[chunk], patterns)
            cos_y, sin_y = _features(Y, means[chunk], patterns)
            scaled = factor * np.repeat(weights[chunk], len(patterns))
            inner += (cos_x * scaled) @ cos_y.T
            inner += (sin_x * scaled) @ sin_y.T
        gram += _envelope(X, Y, scale_row) * inner
    return gram


def spectral_atom_stack(X, means, scales):
    """Every atom's Gram matrix, stacked as shape (n, n, A): O(n^2 A) memory.

    Only for scikit-learn's kernel gradient (which needs this tensor) and
    tests; the solvers never form it.
    """
    X = X - X.mean(axis=0)
    patterns = _sign_patterns(X.shape[1])
    factor = 0.5 ** (X.shape[1] - 1)
    n, n_atoms = X.shape[0], means.shape[0]
    stack = np.empty((n, n, n_atoms))
    differences = _differences(X, X) if _use_direct(X.shape[1]) else None
    for scale_row, members in _scale_groups(scales):
        envelope = _envelope(X, X, scale_row)
        for i in members:
            if differences is not None:
                stack[:, :, i] = envelope * _cosine_product(differences, means[i])
                continue
            cos_x, sin_x = _features(X, means[i:i + 1], patterns)
            stack[:, :, i] = envelope * (factor * (cos_x @ cos_x.T + sin_x @ sin_x.T))
    return stack


def _lattice(column, tol=1e-9):
    """``(spacing, integer coordinates)`` if ``column`` lies on a lattice, else None."""
    values = np.unique(column)
    if len(values) == 1:
        return 1.0, np.zeros(column.shape[0], dtype=np.int64)
    gaps = np.diff(values)
    spacing = gaps.min()
    steps = (values - values[0]) / spacing
    if np.max(np.abs(steps - np.round(steps))) > tol * max(1.0, steps[-1]):
        return None
    return spacing, np.round((column - values[0]) / spacing).astype(np.int64)


class SpectralAtoms:
    r"""The atoms :math:`K_i` of a grid spectral mixture on ``n`` points.

    See the module docstring for the formulas and the three methods. All
    results are exact (the methods agree to rounding).

    Parameters
    ----------
    X : ndarray of shape (n, P)
        Inputs (validated by the caller).
    means, scales : ndarray of shape (A, P)
        Frequencies and spectral standard deviations of the atoms.
    method : {"auto", "lag", "dense", "direct"}, default="auto"
        ``"auto"`` uses the lag method when every dimension is a lattice and
        there are at most ``4 n`` distinct lags, else ``"dense"`` up to ten
        input dimensions and ``"direct"`` above.

    Attributes
    ----------
    method : str
        The method in use.
    n_samples, n_atoms : int
        ``n`` and ``A``.
    """

    def __init__(self, X, means, scales, *, method="auto"):
        self.X = np.asarray(X, dtype=np.float64)
        self.X = self.X - self.X.mean(axis=0)
        self.means = np.asarray(means, dtype=np.float64)
        self.scales = np.asarray(scales, dtype=np.float64)
        self.n_samples, self.n_dims = self.X.shape
        self.n_atoms = self.means.shape[0]
        self._patterns = _sign_patterns(self.n_dims)
        self._factor = 0.5 ** (self.n_dims - 1)
        lags = None if method in ("dense", "direct") else self._lags()
        if method == "lag" and lags is None:
            raise ValueError("method='lag' needs inputs on a lattice with few distinct lags; "
                             "use method='dense' or 'auto'.")
        if lags is not None:
            self.method = "lag"
            self._lag_index, lag_vectors = lags
            self._n_lags = lag_vectors.shape[0]
            self._table = self._lag_table(lag_vectors)
        else:
            direct = method == "direct" or (method == "auto" and _use_direct(self.n_dims))
            self.method = "direct" if direct else "dense"
            self._differences = _differences(self.X, self.X) if direct else None
            entries = self.n_samples * self.n_atoms * len(self._patterns)
            self._all_features = (_features(self.X, self.means, self._patterns)
                                  if not direct and entries <= _CHUNK_ENTRIES else None)
            self._groups = _scale_groups(self.scales)
            self._envelopes = [_envelope(self.X, self.X, row) for row, _ in self._groups]
            self._group_of = np.empty(self.n_atoms, dtype=np.int64)
            for g, (_, members) in enumerate(self._groups):
                self._group_of[members] = g

    # ------------------------------------------------------------------ setup
    def _lags(self):
        """``(lag_index (n, n), lag_vectors (n_lags, P))`` or None."""
        n = self.n_samples
        codes = np.zeros((n, n), dtype=np.int64)
        spacings, sizes, stride = [], [], 1
        for p in range(self.n_dims):
            lattice = _lattice(self.X[:, p])
            if lattice is None:
                return None
            spacing, coords = lattice
            spacings.append(spacing)
            sizes.append(int(coords.max()) + 1)
            codes += stride * np.abs(coords[:, None] - coords[None, :])
            stride *= sizes[-1]
            if stride > np.iinfo(np.int64).max // 4:
                return None
        unique, index = np.unique(codes, return_inverse=True)
        if unique.shape[0] > _MAX_LAGS_PER_SAMPLE * n:
            return None
        vectors = np.empty((unique.shape[0], self.n_dims))
        rest = unique.copy()
        for p in range(self.n_dims):
            vectors[:, p] = (rest % sizes[p]) * spacings[p]
            rest //= sizes[p]
        return index.reshape(n, n), vectors

    def _lag_table(self, lags):
        """:math:`T_{\\ell i} = k_i(\\tau_\\ell)`, shape (n_lags, A)."""
        table = np.ones((lags.shape[0], self.n_atoms))
        for p in range(self.n_dims):
            tau = lags[:, p, None]
            table *= np.exp(-2.0 * np.pi ** 2 * (tau * self.scales[:, p]) ** 2)
            table *= np.cos(_TWO_PI * tau * self.means[:, p])
        return table

    # ------------------------------------------------------------- operations
    def _index(self, index):
        return np.arange(self.n_atoms) if index is None else np.asarray(index, dtype=np.int64)

    def _chunk_features(self, chunk):
        """Cosine and sine features of the atoms ``chunk`` (dense method), cached when
        all of them fit in one chunk (a new array either way: callers scale it in place)."""
        if self._all_features is None:
            return _features(self.X, self.means[chunk], self._patterns)
        n_patterns = len(self._patterns)
        columns = (np.asarray(chunk)[:, None] * n_patterns + np.arange(n_patterns)).ravel()
        return self._all_features[0][:, columns], self._all_features[1][:, columns]

    def _cosines(self, atom):
        """Atom ``atom``'s cosine product (``"direct"`` method), shape (n, n)."""
        return _cosine_product(self._differences, self.means[atom])

    def _grouped(self, index):
        """``[(group, atoms of index in that group), ...]`` (dense method)."""
        groups = self._group_of[index]
        return [(g, index[groups == g]) for g in np.unique(groups)]

    def gram(self, weights):
        r""":math:`\sum_i w_i K_i`, shape (n, n) (a new array).

        Parameters
        ----------
        weights : ndarray of shape (A,)
            Atom weights; zeros are skipped.

        Returns
        -------
        gram : ndarray of shape (n, n)
        """
        active = np.flatnonzero(weights)
        if self.method == "lag":
            values = self._table[:, active] @ weights[active]
            return values[self._lag_index]
        gram = np.zeros((self.n_samples, self.n_samples))
        for g, members in self._grouped(active):
            inner = np.zeros_like(gram)
            if self.method == "direct":
                for i in members:
                    inner += weights[i] * self._cosines(i)
                gram += self._envelopes[g] * inner
                continue
            for chunk in _chunks(members, self.n_samples, len(self._patterns)):
                cos, sin = self._chunk_features(chunk)
                scaled = self._factor * np.repeat(weights[chunk], len(self._patterns))
                inner += (cos * scaled) @ cos.T
                inner += (sin * scaled) @ sin.T
            gram += self._envelopes[g] * inner
        return gram

    def traces(self, matrix, index=None):
        r""":math:`\langle M, K_i\rangle = \sum_{jk} M_{jk} (K_i)_{jk}` per atom.

        With :math:`M = C^{-1}` this is :math:`\operatorname{tr}(C^{-1}K_i)`.

        Parameters
        ----------
        matrix : ndarray of shape (n, n)
            Symmetric matrix :math:`M`.
        index : array-like of int, optional
            Atoms to compute (default: all).

        Returns
        -------
        values : ndarray of shape (len(index),)
        """
        index = self._index(index)
        if self.method == "lag":
            sums = np.bincount(self._lag_index.ravel(), weights=matrix.ravel(),
                               minlength=self._n_lags)
            return sums @ self._table[:, index]
        values = np.empty(index.shape[0])
        position = {atom: k for k, atom in enumerate(index)}
        for g, members in self._grouped(index):
            weighted = matrix * self._envelopes[g]
            if self.method == "direct":
                for i in members:
                    values[position[i]] = np.vdot(weighted, self._cosines(i))
                continue
            for chunk in _chunks(members, self.n_samples, len(self._patterns)):
                cos, sin = self._chunk_features(chunk)
                per_feature = (np.einsum("ij,ij->j", cos, weighted @ cos)
                               + np.einsum("ij,ij->j", sin, weighted @ sin))
                sums = self._factor * per_feature.reshape(len(chunk), -1).sum(axis=1)
                values[[position[a] for a in chunk]] = sums
        return values

    def quads(self, vector, index=None):
        r"""Quadratic forms :math:`v^\top K_i v` per atom.

        Parameters
        ----------
        vector : ndarray of shape (n,)
        index : array-like of int, optional
            Atoms to compute (default: all).

        Returns
        -------
        values : ndarray of shape (len(index),)
        """
        index = self._index(index)
        if self.method in ("lag", "direct"):
            outer = vector[:, None] * vector[None, :]
            return self.traces(outer, index)
        values = np.empty(index.shape[0])
        position = {atom: k for k, atom in enumerate(index)}
        for g, members in self._grouped(index):
            envelope = self._envelopes[g]
            for chunk in _chunks(members, self.n_samples, len(self._patterns)):
                cos, sin = self._chunk_features(chunk)
                cos *= vector[:, None]
                sin *= vector[:, None]
                per_feature = (np.einsum("ij,ij->j", cos, envelope @ cos)
                               + np.einsum("ij,ij->j", sin, envelope @ sin))
                sums = self._factor * per_feature.reshape(len(chunk), -1).sum(axis=1)
                values[[position[a] for a in chunk]] = sums
        return values

    def products(self, vector, index=None):
        r"""The columns :math:`K_i v`, shape (n, len(index)).

        Parameters
        ----------
        vector : ndarray of shape (n,)
        index : array-like of int, optional
            Atoms to compute (default: all).

        Returns
        -------
        columns : ndarray of shape (n, len(index))
        """
        index = self._index(index)
        n = self.n_samples
        if self.method == "lag":
            rows = np.repeat(np.arange(n) * self._n_lags, n)
            spread = np.bincount(rows + self._lag_index.ravel(), weights=np.tile(vector, n),
                                 minlength=n * self._n_lags).reshape(n, self._n_lags)
            return spread @ self._table[:, index]
        columns = np.empty((n, index.shape[0]))
        position = {atom: k for k, atom in enumerate(index)}
        n_patterns = len(self._patterns)
        for g, members in self._grouped(index):
            envelope = self._envelopes[g]
            if self.method == "direct":
                for i in members:
                    columns[:, position[i]] = (envelope * self._cosines(i)) @ vector
                continue
            for chunk in _chunks(members, n, n_patterns):
                cos, sin = self._chunk_features(chunk)
                mixed = (cos * (envelope @ (cos * vector[:, None]))
                         + sin * (envelope @ (sin * vector[:, None])))
                sums = self._factor * mixed.reshape(n, len(chunk), n_patterns).sum(axis=2)
                columns[:, [position[a] for a in chunk]] = sums
        return columns
