"""BlockSBL: collapse to SBLRegressor, block recovery, blocks given by labels, errors."""

import numpy as np
import pytest

from sparseopt.sbl import BlockSBL, SBLRegressor


@pytest.mark.parametrize("update, rule", [("em", "em"), ("bo", "mm")])
def test_blocks_of_one_are_sbl_regressor(update, rule):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 50))
    w = np.zeros(50)
    w[[3, 4, 30]] = [1.0, 1.2, -2.0]
    y = X @ w + 0.05 * rng.standard_normal(30) + 1.0
    block = BlockSBL(block_size=1, update=update).fit(X, y)
    plain = SBLRegressor(update=rule).fit(X, y)
    np.testing.assert_allclose(block.coef_, plain.coef_, atol=1e-9)
    assert block.intercept_ == pytest.approx(plain.intercept_, abs=1e-9)
    np.testing.assert_allclose(block.predict(X[:3], return_std=True),
                               plain.predict(X[:3], return_std=True), rtol=1e-8)


def test_block_labels_and_recovery():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 60))
    w = np.zeros(60)
    w[12:16] = [1.0, 1.1, 0.9, 1.0]
    y = X @ w + 0.01 * rng.standard_normal(40)
    model = BlockSBL(block_size=4).fit(X, y)
    assert np.flatnonzero(model.gamma_).tolist() == [3]
    assert model.active_.tolist() == [12, 13, 14, 15]
    assert model.intra_correlation_ > 0.5
    order = rng.permutation(15)  # the same blocks, shuffled, given by labels
    permuted = np.concatenate([np.arange(4 * g, 4 * g + 4) for g in order])
    labels = np.repeat(np.arange(15), 4)[permuted]
    shuffled = BlockSBL(blocks=labels).fit(X[:, permuted], y)
    np.testing.assert_allclose(shuffled.coef_, model.coef_[permuted], atol=1e-8)
    assert len(model.blocks_) == 15 and model.sigma_.shape == (4, 4)


def test_errors_name_the_argument():
    X, y = np.ones((5, 6)), np.arange(5.0)
    with pytest.raises(ValueError, match="blocks must hold one label per feature"):
        BlockSBL(blocks=[0, 0, 1]).fit(X, y)
    with pytest.raises(ValueError, match="intra_correlation"):
        BlockSBL(intra_correlation=1.0).fit(X, y)
    with pytest.raises(ValueError, match="block_size"):
        BlockSBL(block_size=0).fit(X, y)
    with pytest.raises(ValueError, match="update"):
        BlockSBL(update="mm").fit(X, y)
