"""The production settings, with static files collected into the bench's own temporary root."""

import os

from ordersite.settings import *  # noqa: F403
from ordersite.settings import STATIC_ROOT as _DEFAULT_STATIC_ROOT

STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT") or _DEFAULT_STATIC_ROOT
