"""Settings come from the environment and refuse values they cannot read."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from ordersite import env

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("raw,expected", [("1", True), ("yes", True), ("off", False), ("", False)])
def test_env_bool_reads_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env.env_bool("FLAG", not expected) is expected


def test_env_bool_refuses_garbage(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env.env_bool("FLAG", False)


def test_env_int_refuses_non_integers_and_values_below_minimum(monkeypatch):
    monkeypatch.setenv("N", "ten")
    with pytest.raises(ImproperlyConfigured, match="N must be an integer"):
        env.env_int("N", 1)
    monkeypatch.setenv("N", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env.env_int("N", 1, minimum=0)


def test_log_level_takes_any_case_and_refuses_unknown_levels(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "warning")
    assert env.env_log_level("LOG_LEVEL", "INFO") == "WARNING"
    monkeypatch.setenv("LOG_LEVEL", "loud")
    with pytest.raises(ImproperlyConfigured, match="LOG_LEVEL must be one of"):
        env.env_log_level("LOG_LEVEL", "INFO")


def test_env_float_uses_default_when_unset(monkeypatch):
    monkeypatch.delenv("T", raising=False)
    assert env.env_float("T", 2.5) == 2.5


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.example, b.example,,")
    assert env.env_list("HOSTS", []) == ["a.example", "b.example"]


def test_env_url_refuses_non_http_urls(monkeypatch):
    monkeypatch.setenv("BASE", "ftp://example.com")
    with pytest.raises(ImproperlyConfigured, match="BASE"):
        env.env_url("BASE", "https://api.telnyx.com/v2")
    monkeypatch.setenv("BASE", "https://api.telnyx.com/v2/")
    assert env.env_url("BASE", "") == "https://api.telnyx.com/v2"


def test_env_database_defaults_to_sqlite_with_wal(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = env.env_database("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    # Each request reusing the connection keeps SQLite's page cache warm.
    assert config["CONN_MAX_AGE"] > 0


def test_env_database_reads_postgres_urls(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/orders")
    config = env.env_database("DATABASE_URL", "")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "orders"


def test_env_database_refuses_unknown_schemes(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "nosuchdb://x/y")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        env.env_database("DATABASE_URL", "")


# The variables a deployment sets, so that each test starts from none of them.
DEPLOYMENT = {"DEBUG", "SECRET_KEY", "DEMO_MODE", "ALLOWED_HOSTS", "DATABASE_URL"}
PRODUCTION = {
    "SECRET_KEY": "x7!Kq2#pL9@vR4$wT8^yU1&iO5*aS3(dF6)gH0-jZ_cXbNmQeWrTyUiOp",
    "ALLOWED_HOSTS": "orders.intranet.example",
}


def _manage(*args: str, **extra_env: str) -> subprocess.CompletedProcess:
    """`manage.py` with the production settings (not the suite's) and only `extra_env` set.

    DJANGO_ALLOW_ASYNC_UNSAFE: set for the whole session once a browser test ran (conftest's
    `browser`), and an error for `check --deploy`; not the environment being tested."""
    unwanted = DEPLOYMENT | {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environ = {k: v for k, v in os.environ.items() if k not in unwanted}
    environ.update(DJANGO_SETTINGS_MODULE="ordersite.settings", **extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DEBUG="0", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_is_off_unless_asked_for_so_a_missing_secret_key_stops_start_up():
    result = _manage("check")

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set" in result.stderr
    assert "set SECRET_KEY in the environment" in result.stderr


def test_development_runs_without_a_secret_key_only_with_debug_on():
    assert _manage("check", DEBUG="1").returncode == 0


def test_bad_boolean_stops_start_up_with_the_variable_named():
    result = _manage("check", DEBUG="sometimes")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


# What README's Production section lists, and nothing more: DEBUG is off by default.
CHECK_DEPLOY_CLEAN = PRODUCTION | {"SECURE_SSL_REDIRECT": "1", "SECURE_HSTS_SECONDS": "31536000"}


def test_check_deploy_is_clean_with_the_variables_the_readme_names():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **CHECK_DEPLOY_CLEAN)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_readme_names_the_variables_that_make_check_deploy_clean():
    readme = (ROOT / "README.md").read_text()
    production = readme.split("## Production", 1)[1].split("\n## ", 1)[0]
    for name in CHECK_DEPLOY_CLEAN:
        assert f"`{name}=" in production, name


def _show(expression: str, **extra_env: str) -> str:
    code = f"from django.conf import settings; print({expression})"
    result = _manage("shell", "--no-imports", "-c", code, **extra_env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_does_not_install_the_sandbox():
    assert _show('"sandbox" in settings.INSTALLED_APPS', **PRODUCTION) == "False"
    assert "Unknown command: 'sandbox'" in _manage("sandbox", "--help", **PRODUCTION).stderr


def test_demo_mode_installs_the_sandbox():
    assert _show('"sandbox" in settings.INSTALLED_APPS', DEMO_MODE="1", **PRODUCTION) == "True"


def test_production_hashes_passwords_with_pbkdf2():
    assert _show("settings.PASSWORD_HASHERS[0]", **PRODUCTION).endswith("PBKDF2PasswordHasher")


def test_the_suite_hashes_passwords_fast_and_has_the_sandbox(settings):
    from django.contrib.auth.hashers import get_hasher

    assert get_hasher().algorithm == "md5"
    assert "sandbox" in settings.INSTALLED_APPS


def test_interactive_budget_comes_from_the_environment():
    budget = _show(
        "settings.TELNYX_INTERACTIVE_BUDGET", TELNYX_INTERACTIVE_BUDGET="3.5", **PRODUCTION
    )
    assert budget == "3.5"
