"""gunicorn.conf.py: the production server's threads, timeouts, log and address."""

import inspect
import runpy
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from gunicorn.config import Config

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
ENVIRONMENT = ("BIND", "PORT", "GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_TIMEOUT")


@pytest.fixture
def load(monkeypatch):
    """`load(**env)`: the configuration as gunicorn reads it, under exactly that environment."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)

    def load(**env: str) -> dict:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return {k: v for k, v in runpy.run_path(str(CONF)).items() if not k.startswith("_")}

    return load


def test_workers_are_threaded_and_outlive_the_interactive_telnyx_budget(load, settings):
    conf = load()

    assert conf["worker_class"] == "gthread"
    assert conf["threads"] > 1
    assert conf["timeout"] >= 2 * settings.TELNYX_INTERACTIVE_BUDGET
    assert conf["graceful_timeout"] >= conf["timeout"]


def test_timeout_follows_a_larger_budget(load, settings):
    settings.TELNYX_INTERACTIVE_BUDGET = 20.0
    assert load()["timeout"] >= 40


def test_timeout_too_close_to_the_budget_stops_start_up(load, settings):
    settings.TELNYX_INTERACTIVE_BUDGET = 8.0
    with pytest.raises(ImproperlyConfigured, match="GUNICORN_TIMEOUT must be at least twice"):
        load(GUNICORN_TIMEOUT="10")


def test_access_log_goes_to_stdout_without_query_strings_or_referers(load):
    conf = load()

    assert conf["accesslog"] == "-"
    assert "%(U)s" in conf["access_log_format"]
    for atom in ("%(r)s", "%(q)s", "%(f)s", "%(u)s"):
        assert atom not in conf["access_log_format"]


def test_address_and_pool_come_from_the_environment(load):
    assert load()["bind"] == ["127.0.0.1:8000"]
    assert load(PORT="9000")["bind"] == ["127.0.0.1:9000"]
    conf = load(BIND="0.0.0.0:8080", GUNICORN_WORKERS="3", GUNICORN_THREADS="6")
    assert (conf["bind"], conf["workers"], conf["threads"]) == (["0.0.0.0:8080"], 3, 6)


def test_bad_value_stops_start_up_with_the_variable_named(load):
    with pytest.raises(ImproperlyConfigured, match="GUNICORN_THREADS must be at least 1"):
        load(GUNICORN_THREADS="0")


def test_every_name_is_a_gunicorn_setting_it_accepts(load):
    """gunicorn ignores names it does not know: a misspelt setting would silently do nothing."""
    config = Config()
    for name, value in load().items():
        if inspect.ismodule(value) or inspect.isclass(value) or inspect.isroutine(value):
            continue
        if value is django_settings:
            continue
        assert name in config.settings, name
        config.set(name, value)
    assert config.worker_class_str == "gthread"


def test_no_control_socket_is_opened(load):
    assert load()["control_socket_disable"] is True
