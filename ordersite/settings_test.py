"""Settings for the test suite (pyproject's DJANGO_SETTINGS_MODULE): the production settings and
what the tests need on top. Tests that assert something about the production settings run
`manage.py` with DJANGO_SETTINGS_MODULE=ordersite.settings instead."""

import os

# The base settings refuse to load without a key while DEBUG is off; the suite runs as production
# does, with DEBUG off, and its subprocesses (`manage.py sandbox`, `migrate`) inherit the key.
os.environ.setdefault("SECRET_KEY", "tests-only-key-not-a-secret-" + "x" * 40)

from ordersite.settings import *  # noqa: F403
from ordersite.settings import INSTALLED_APPS, STORAGES

# The suite creates users in most tests: PBKDF2's deliberate slowness was most of its run time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The sandbox serves the tests as Telnyx, and its command is tested.
if "sandbox" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "sandbox"]

# Pages are served from the finders: no collectstatic output (and so no manifest) exists.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The test client and the live server speak plain HTTP.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
