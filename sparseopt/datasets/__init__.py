from sparseopt.datasets._synthetic import make_sparse_regression
__all__=["make_sparse_regression"]
