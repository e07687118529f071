"""A real S3-compatible server for tests: moto in server mode on a free loopback port.

moto's server speaks the S3 REST protocol over HTTP, so delta-rs, pyarrow and boto3 talk to it exactly
as they would to AWS S3 or MinIO. It runs in its own process: in a thread of the test process it would
need the GIL, which some delta-rs calls hold while they wait for the server's answer. The ``s3_server`` fixture (``tests/conftest.py``) starts one per test
session and sets the standard ``AWS_*`` environment variables Quanta reads.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from tests.support.ports import free_port


@dataclass
class S3Server:
    """A running server. ``endpoint`` is ``http://127.0.0.1:<port>``; credentials are moto's dummies."""

    endpoint: str
    server: subprocess.Popen
    access_key: str = "testing"
    secret_key: str = "testing"
    region: str = "us-east-1"

    def environment(self) -> dict[str, str]:
        """The ``AWS_*`` variables that point a client (delta-rs, pyarrow, boto3) at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ALLOW_HTTP": "true",
        }

    def client(self):
        """A boto3 S3 client of this server (to put, list and delete objects behind Quanta's back)."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )

    def create_bucket(self, name: str) -> str:
        """Create a bucket and return its ``s3://`` URI."""
        self.client().create_bucket(Bucket=name)
        return f"s3://{name}"

    def stop(self) -> None:
        """Stop the server process."""
        self.server.terminate()
        self.server.wait(timeout=30)


def start_s3() -> S3Server:
    """Start moto's S3 server in a subprocess on a free loopback port and wait until it answers.

    Raises:
        RuntimeError: the server did not answer within 60 seconds.
    """
    import sys
    import time
    import urllib.request

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"moto's S3 server did not start on {endpoint}") from None
            time.sleep(0.2)
    return S3Server(endpoint=endpoint, server=process)
