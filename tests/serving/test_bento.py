"""The Bento: ``sozialradar bento`` imports the demo's champions and builds it; ``bentoml serve`` of the Bento (its
own code and models, no MLflow registry) answers the read endpoints and /scenario."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from experiments.serve import free_port

pytestmark = pytest.mark.xdist_group("demo")
BIN = Path(sys.executable).parent


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
    except (urllib.error.URLError, ConnectionError):
        return None, None


def test_build_and_serve_the_bento(demo_settings, tmp_path):
    home = tmp_path / "bentoml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOZIALRADAR_", "MLFLOW_"))}
    env.update({"BENTOML_HOME": str(home), "BENTOML_DO_NOT_TRACK": "True",
                "SOZIALRADAR_STORE__PATH": str(demo_settings.store.path),
                "SOZIALRADAR_TRACKING__URI": demo_settings.tracking.uri})
    proc = subprocess.run([str(BIN / "sozialradar"), "bento"], env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tag = proc.stdout.split("Bento ", 1)[1].split()[0]
    assert tag.startswith("sozialradar:") and f"bentoml containerize {tag}" in proc.stdout
    bento_dir = home / "bentos" / "sozialradar" / tag.split(":")[1]
    info = yaml.safe_load((bento_dir / "bento.yaml").read_text())
    assert {m["tag"].split(":")[0] for m in info["models"]} == {
        "sozialradar-classifier", "sozialradar-typology", "sozialradar-early-warning"}
    assert (bento_dir / "src" / "serving" / "static").is_dir() and (bento_dir / "src" / "serving" / "templates").is_dir()
    assert (bento_dir / "env" / "python" / "requirements.txt").read_text().count("==") > 100   # the locked pins

    # served from the Bento: its code (cwd elsewhere) and its models; the registry is gone
    port = free_port()
    serve_env = {**env, "SOZIALRADAR_TRACKING__URI": f"sqlite:///{tmp_path / 'gone' / 'mlflow.db'}",
                 "SOZIALRADAR_SERVING__MODELS": "bento"}
    log = open(tmp_path / "bento.log", "w")
    server = subprocess.Popen([str(BIN / "bentoml"), "serve", tag, "--port", str(port)], env=serve_env,
                              cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            status, body = get(base + "/readyz")
            if status == 200:
                break
            assert server.poll() is None, (tmp_path / "bento.log").read_text()[-3000:]
            time.sleep(1)
        assert status == 200 and {"classifier", "typology", "warning_model"} <= set(body["versions"]), body
        status, regions = get(base + "/regions")
        assert status == 200 and len(regions["regions"]) == 53
        rid = next(r["region_id"] for r in regions["regions"] if r["status_label"])
        req = urllib.request.Request(base + "/scenario", data=json.dumps({"requests": [
            {"region_id": rid, "changes": [{"indicator_id": "sgb2_quote", "change": 1}]}]}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            answer = json.loads(r.read())[0]
        assert answer["region_id"] == rid and answer["warnings"] and answer["status"]["probabilities"]
        assert not (tmp_path / "gone").exists()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
