import subprocess
import sys

from sparseopt import cli


def test_info_lists_versions(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    for name in ("sparseopt", "numpy", "numba", "numba cache", "threads"):
        assert name in out


def test_tour_prints_one_row_per_fit(capsys):
    assert cli.main(["tour"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:2] == ["estimator", "data"]
    rows = [line for line in out[2:] if line.startswith("bcd.")]
    assert len(rows) >= 3
    for row in rows:
        float(row.split()[-2])  # metric value
        float(row.split()[-1])  # fit time


def test_module_entry_point():
    result = subprocess.run([sys.executable, "-m", "sparseopt", "info"], capture_output=True,
                            text=True, check=True)
    assert "sparseopt" in result.stdout


def test_import_is_lazy():
    code = ("import sys, sparseopt; "
            "assert 'numba' not in sys.modules and 'sklearn' not in sys.modules, "
            "sorted(m for m in sys.modules if m.startswith(('numba', 'sklearn')))[:5]; "
            "print(sparseopt.__version__)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
