"""An embedded AWS endpoint for offline plans and drills: moto server on loopback.

It answers what the stacks read at plan time (availability zones, caller identity,
the EXISTING secrets) and the control-plane calls drills make. Seeded secret values
are random, realistic, and never printed: only their names are.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

from tapguard.foundation.errors import TapguardError
from tapguard.foundation.ports import free_ports
from tapguard.planning.project import Environment

CREDENTIAL_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


def aws_credentials_configured() -> bool:
    """True when real AWS credentials are visible: env vars, a profile, or shared files."""
    if os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"):
        return True
    if os.environ.get("AWS_WEB_IDENTITY_TOKEN_FILE") or os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        return True
    home = Path.home() / ".aws"
    return (home / "credentials").is_file() or (home / "config").is_file()


def choose_mode(local: bool, aws: bool) -> str:
    if local and aws:
        raise TapguardError("--local and --aws exclude each other")
    if aws:
        return "aws"
    if local:
        return "local"
    return "aws" if aws_credentials_configured() else "local"


def secret_value(purpose: str, env: Environment) -> dict[str, Any]:
    """A realistic JSON credential for an existing secret, shaped by what it is for."""
    suffix = str(env.variables.get("environment_suffix", "dev"))
    if "redis" in purpose:
        return {"replication_group_id": f"redis-cache-{suffix}", "token": secrets.token_urlsafe(48)}
    if "aurora" in purpose or "db" in purpose or "postgres" in purpose:
        return {
            "engine": "postgres",
            "host": f"aurora-transactions-{suffix}.cluster-local.{env.region or 'us-east-1'}.rds.amazonaws.com",
            "port": 5432,
            "username": "tapguard_admin",
            "password": secrets.token_urlsafe(32),
            "dbname": "transactions",
        }
    return {"api_key": secrets.token_urlsafe(40)}


@dataclass
class LocalAWS:
    """A running moto server. Use start()/stop() or the running() context manager."""

    @classmethod
    @contextmanager
    def serving(cls, environments: Iterable[Environment] = ()) -> Iterator[Self]:
        """An endpoint of this class: started, seeded, yielded, and always stopped (also on Ctrl-C or a failing test)."""
        endpoint = cls()
        endpoint.start()
        try:
            endpoint.seed(environments)
            yield endpoint
        finally:
            endpoint.stop()

    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _tether: int | None = field(default=None, init=False, repr=False)  # the write end of the server's tether
    # what runs as the server, and how errors name it (the e2e deployment endpoint extends moto)
    SERVER_MODULE: ClassVar[str] = "moto.server"
    SERVER_ENV: ClassVar[dict[str, str]] = {}
    LABEL: ClassVar[str] = "the embedded AWS endpoint (moto server)"
    seeded: dict[str, dict[str, Any]] = field(default_factory=dict)  # secret name -> value (never printed)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment for terraform and boto3: fake credentials, every service at the endpoint."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def clean_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        for key in CREDENTIAL_ENV:
            env.pop(key, None)
        env.update(self.env())
        return env

    def start(self, timeout: float = 30.0) -> None:
        if self.process:
            return
        self.port = self.port or free_ports(1)[0]
        log = open(os.devnull, "wb")  # noqa: SIM115 - lives as long as the process
        # tethered (foundation/tether.py): the server reads a pipe only this process can write to, and ends when it
        # closes, so a tapguard (or a test run) killed outright leaves no server behind
        tether, self._tether = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tapguard.foundation.tether", self.SERVER_MODULE, "-H", "127.0.0.1", "-p", str(self.port)],
                stdin=tether,
                stdout=log,
                stderr=log,
                start_new_session=True,
                env={**os.environ, **self.SERVER_ENV},
            )
        finally:
            os.close(tether)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise TapguardError(f"{self.LABEL} exited at start; is moto[server] installed?")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json", timeout=1):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise TapguardError(f"{self.LABEL} did not answer on {self.endpoint} within {timeout:.0f} s")

    def stop(self) -> None:
        process, self.process = self.process, None
        tether, self._tether = self._tether, None
        if tether is not None:
            os.close(tether)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        except ProcessLookupError:
            pass

    def client(self, service: str, region: str) -> Any:
        import boto3

        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def seed(self, environments: Iterable[Environment]) -> None:
        """Create each environment's EXISTING secrets with realistic random JSON values."""
        for env in environments:
            if not env.existing_secrets:
                continue
            region = env.region or "us-east-1"
            # The organization's secrets are encrypted with its own customer-managed key.
            key = self.client("kms", region).create_key(Description="organization secrets key (seeded by tapguard localaws)")
            client = self.client("secretsmanager", region)
            for purpose, name in env.existing_secrets.items():
                if name in self.seeded:
                    continue
                value = secret_value(purpose, env)
                client.create_secret(
                    Name=name,
                    Description=f"pre-existing {purpose} credentials (seeded by tapguard localaws)",
                    SecretString=json.dumps(value),
                    KmsKeyId=key["KeyMetadata"]["Arn"],
                )
                self.seeded[name] = value

    def secret_strings(self) -> list[str]:
        """Every seeded secret string and field, for leak checks. Never print these."""
        found: list[str] = []
        for value in self.seeded.values():
            found.append(json.dumps(value))
            found += [str(v) for k, v in value.items() if k in ("password", "token", "api_key")]
        return found


def running(environments: Iterable[Environment] = ()) -> AbstractContextManager[LocalAWS]:
    """Start, seed, yield, and always stop: also on Ctrl-C or a failing test."""
    return LocalAWS.serving(environments)
