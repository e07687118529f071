"""The server imports the engine libraries at start-up, before its request threads can race for them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

# A fresh process: what is imported after create_app, and after a real uvicorn server has started.
SCRIPT = textwrap.dedent(
    """
    import json, sys
    from quanta.api import ServeSettings, create_app
    from quanta.engine.libraries import ENGINE_LIBRARIES
    from tests.api.server import running

    app = create_app(ServeSettings(mesh_root=sys.argv[1], anonymous_discovery=True))
    before = [name for name in ENGINE_LIBRARIES if name in sys.modules]
    with running(app):
        after = [name for name in ENGINE_LIBRARIES if name in sys.modules]
    print(json.dumps({"before": before, "after": after}))
    """
)


def test_the_engine_libraries_are_imported_when_the_server_starts_not_by_a_request(mesh: Path) -> None:
    from quanta.engine.libraries import ENGINE_LIBRARIES

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(mesh)], capture_output=True, text=True, timeout=120, cwd=root
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["before"] == []  # create_app itself stays cheap
    assert report["after"] == list(ENGINE_LIBRARIES)
