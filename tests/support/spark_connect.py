"""A real Spark Connect server for tests: pyspark's own ``SparkConnectServer`` on a free loopback port.

The pyspark wheel ships Spark's jars (``spark-connect_2.13`` included) and ``bin/spark-submit``, so the
server is the one a cluster runs, started in ``local[2]`` mode in its own JVM process; Quanta reaches it
as a thin gRPC client exactly as it would reach ``sc://spark-connect:15002`` in production. The
``spark_connect`` fixture (``tests/conftest.py``) starts one per test worker when a test asks for it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"


@dataclass
class SparkConnectServer:
    """A running server; ``url`` is ``sc://127.0.0.1:<port>``, ``log`` the server's output file."""

    url: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        """Stop the server's JVM."""
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_spark_connect(timeout: float = 240.0) -> SparkConnectServer:
    """Start a Spark Connect server (``local[2]``, UTC) and wait until its gRPC port accepts connections.

    Raises:
        RuntimeError: the server exited or did not listen within ``timeout`` seconds (the message holds
            the end of its log).
    """
    import pyspark

    home = Path(pyspark.__file__).parent
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="quanta-spark-connect-")) / "server.log"
    conf = {
        "spark.master": "local[2]",
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.ui.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
    }
    command = [str(home / "bin" / "spark-submit"), "--class", SERVER_CLASS]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    environment = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1"}
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=environment)
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return SparkConnectServer(f"sc://127.0.0.1:{port}", process, log)
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(
                    f"the Spark Connect server did not start on port {port}:\n{tail}"
                ) from None
            time.sleep(0.5)
