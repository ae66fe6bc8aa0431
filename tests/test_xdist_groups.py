"""The suite's own promise that the tests sharing the demo run it once: ``--dist loadgroup`` keeps a group on one
worker with the pinned pytest, and where it does not, the shared fixture says so instead of running twice."""

import os
import subprocess
import sys
import textwrap

from ml.paths import PROJECT_ROOT

TOY = {
    "conftest.py": """
        import pytest
        from tests.conftest import _once_per_session

        @pytest.fixture(scope="session")
        def shared(tmp_path_factory):
            _once_per_session(tmp_path_factory, "toy")
            return "ready"
        """,
    "test_a.py": """
        import pytest

        @pytest.mark.xdist_group("toy")
        def test_one(shared):
            assert shared == "ready"

        def test_other():
            pass
        """,
    "test_b.py": """
        import pytest
        pytestmark = pytest.mark.xdist_group("toy")

        def test_two(shared):
            assert shared == "ready"

        def test_three(shared):
            assert shared == "ready"
        """,
}


def _pytest(tmp_path, *args):
    for name, text in TOY.items():
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    # a base directory of its own: pytest keeps only the three latest of its default ones, which would include
    # the directory of the suite that runs this test
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:fugue_test",
                           "-p", "no:fugue_test_fixtures", "-q", "-n", "2", *args,
                           "--basetemp", str(tmp_path / "basetemp"), "--rootdir", str(tmp_path), str(tmp_path)],
                          cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


def test_loadgroup_keeps_a_group_on_one_worker(tmp_path):
    proc = _pytest(tmp_path, "--dist", "loadgroup")
    assert proc.returncode == 0 and "4 passed" in proc.stdout, proc.stdout[-2000:]


def test_a_group_spread_over_workers_is_named(tmp_path):
    # one test per worker at a time: the three tests of the group cannot all land on one worker
    proc = _pytest(tmp_path, "--dist", "each")
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "the tests of group 'toy' run on two workers" in proc.stdout and "--dist loadgroup" in proc.stdout
