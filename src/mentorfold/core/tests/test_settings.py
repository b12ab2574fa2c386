"""Settings come from the environment and fail loudly on unsafe production values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]


def _import_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    clean.update({"MENTORFOLD_VAR_DIR": str(tmp_path), "PYTHONPATH": str(ROOT / "src"), **env})
    return subprocess.run(
        [sys.executable, "-c", "import mentorfold.settings as s; print(s.DATABASES['default']['ENGINE'])"],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_without_secret_key_refuses_to_start(tmp_path: Path) -> None:
    result = _import_settings(tmp_path, DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_development_generates_and_reuses_a_secret_key(tmp_path: Path) -> None:
    assert _import_settings(tmp_path, DEBUG="true").returncode == 0
    key_file = tmp_path / "secret_key.txt"
    first = key_file.read_text()
    assert len(first) >= 50
    assert _import_settings(tmp_path, DEBUG="true").returncode == 0
    assert key_file.read_text() == first


def test_database_defaults_to_sqlite_and_reads_database_url(tmp_path: Path) -> None:
    assert "sqlite3" in _import_settings(tmp_path, DEBUG="true").stdout
    pg = _import_settings(tmp_path, DEBUG="true", DATABASE_URL="postgres://u@127.0.0.1:5432/db")
    assert "postgresql" in pg.stdout
