"""Starting ``bentoml serve`` for the service with a given configuration, and waiting until it is ready."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from ml.config import Settings
from ml.paths import PROJECT_ROOT

SERVICE = "serving.service:Sozialradar"


def free_port() -> int:
    """A free TCP port on localhost."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(settings: Settings, path: Path) -> Path:
    """The resolved settings as a YAML file the service process reads (``SOZIALRADAR_CONFIG``), readable by its
    owner only. The reload key is never written: :func:`start` hands it to the service in its environment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = settings.resolved()
    data["serving"].pop("api_key", None)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)
    return path


def start(settings: Settings, config_file: Path, port: int | None = None, host: str | None = None,
          log: Path | None = None) -> tuple[subprocess.Popen, str]:
    """``bentoml serve`` in a child process; returns it and the base URL."""
    port = port or settings.serving.port
    host = host or settings.serving.host
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOZIALRADAR_")}
    env["SOZIALRADAR_CONFIG"] = str(config_file.resolve())
    if settings.serving.api_key is not None:
        env["SOZIALRADAR_SERVING__API_KEY"] = settings.serving.api_key.get_secret_value()
    env["BENTOML_DO_NOT_TRACK"] = "True"
    env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    bentoml = Path(sys.executable).with_name("bentoml")
    out = open(log, "ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen([str(bentoml), "serve", SERVICE, "--host", host, "--port", str(port)],
                            cwd=os.getcwd(), env=env, stdout=out, stderr=subprocess.STDOUT)
    return proc, f"http://{host}:{port}"


class ServiceFailed(RuntimeError):
    """The service started but could not load its data; the message is the reason its /readyz gives."""


def wait_ready(base: str, proc: subprocess.Popen | None = None, timeout: float = 120.0) -> float:
    """Seconds until ``/readyz`` answers 200; raises :class:`ServiceFailed` with the service's own reason when
    loading failed, RuntimeError when the process exits, TimeoutError (with the last reason) after ``timeout``."""
    t0 = time.perf_counter()
    reason = "no answer yet"
    while time.perf_counter() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the service exited with code {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as resp:
                if resp.status == 200:
                    return time.perf_counter() - t0
        except urllib.error.HTTPError as err:
            try:
                body = json.loads(err.read() or b"{}")
            except ValueError:
                body = {}
            reason = body.get("message", f"HTTP {err.code}")
            if body.get("phase") == "failed":
                raise ServiceFailed(reason) from None
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"the service at {base} was not ready within {timeout:.0f} s ({reason})")


def stop(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """Stop a started service (SIGTERM, then SIGKILL after a grace period)."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def call(base: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """One JSON request (GET without body, POST with); returns status and parsed body."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method="GET" if body is None else "POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")

