"""Threads that first reach sqlglot or pyarrow through different modules get whole modules."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.mesh.factory import five_product_mesh

# Six threads start together; each enters the libraries through a different module, the way a build's
# product threads and a server's request threads do. Without the serial import, 20 processes of 20
# failed with "partially initialized module" or a missing attribute (CPython 3.11, sqlglot 30).
RACE = textwrap.dedent(
    """
    import sys, threading, traceback
    from quanta.engine.libraries import import_engine_libraries

    barrier = threading.Barrier(6)
    errors = []

    def sqlglot_tokens():
        from sqlglot.tokens import TokenType
        import sqlglot
        assert sqlglot.transpile("select 1", read="duckdb", write="postgres") == ["SELECT 1"]

    def sqlglot_dialect():
        from sqlglot.dialects.dialect import Dialect
        assert Dialect.get_or_raise("postgres").parse("select 2")[0].sql() == "SELECT 2"

    def sqlglot_exp():
        from sqlglot import exp
        assert exp.select("x").from_("t").sql(dialect="duckdb") == "SELECT x FROM t"

    def pyarrow_ipc():
        import pyarrow.ipc
        assert pyarrow.ipc.new_stream

    def pyarrow_table():
        import pyarrow as pa
        assert pa.table({"a": [1, 2]}).num_rows == 2

    def deltalake_table():
        import deltalake
        assert deltalake.DeltaTable

    def work(use):
        barrier.wait()
        try:
            import_engine_libraries()
            use()
        except BaseException:
            errors.append(traceback.format_exc())

    uses = [sqlglot_tokens, sqlglot_dialect, sqlglot_exp, pyarrow_ipc, pyarrow_table, deltalake_table]
    threads = [threading.Thread(target=work, args=(use,)) for use in uses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        print(errors[0], file=sys.stderr)
        sys.exit(1)
    """
)


@pytest.mark.parametrize("attempt", range(4))
def test_six_threads_entering_the_libraries_through_different_modules_all_succeed(attempt: int) -> None:
    result = subprocess.run([sys.executable, "-c", RACE], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


# Runs a parallel build in a fresh process and reports where each engine library was first imported.
BUILD = textwrap.dedent(
    """
    import importlib.abc, json, sys, threading
    from quanta.engine.libraries import ENGINE_LIBRARIES

    first_imports = []

    class Watch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name in ENGINE_LIBRARIES:
                frame, serial = sys._getframe(1), False
                while frame is not None:
                    code = frame.f_code
                    serial = serial or (code.co_name == "import_all" and code.co_filename.endswith("lazy.py"))
                    frame = frame.f_back
                first_imports.append([name, threading.current_thread().name, serial])
            return None

    sys.meta_path.insert(0, Watch())
    from quanta.build import build
    from quanta.mesh import load_workspace

    result = build(load_workspace(sys.argv[1]), jobs=2)
    print(json.dumps({"statuses": sorted({p.status for p in result.products}), "imports": first_imports}))
    """
)


def test_a_parallel_build_imports_the_engine_libraries_in_one_thread_before_using_them(
    tmp_path: Path,
) -> None:
    root = five_product_mesh(tmp_path / "m")
    result = subprocess.run(
        [sys.executable, "-c", BUILD, str(root)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["statuses"] == ["published"]
    imported = {name for name, _, _ in report["imports"]}
    assert {"pyarrow", "duckdb", "sqlglot", "sqlglot.dialects.duckdb"} <= imported
    threads = {thread for name, thread, _ in report["imports"] if name != "deltalake"}
    assert len(threads) == 1 and next(iter(threads)).startswith("quanta-build"), report["imports"]
    # deltalake is first opened by the main thread, listing the published tables, before any product runs.
    assert all(serial for name, thread, serial in report["imports"] if thread.startswith("quanta-build"))
