"""gunicorn's configuration for production: `gunicorn -c gunicorn.conf.py ordersite.wsgi`.

Every value can be changed from the environment (README, "Production"); a value that cannot be
read stops start-up with a message naming the variable, as the Django settings do.
"""

import math
import os

# The settings hold the Telnyx budget that the worker timeout must exceed.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordersite.settings")

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ordersite.env import env_int, env_list, env_str

# Behind the intranet proxy on the same host by default; BIND=0.0.0.0:8000 to listen further.
bind = env_list("BIND", [f"127.0.0.1:{env_int('PORT', 8000, minimum=1)}"])

# Threads: an action waits on Telnyx for up to TELNYX_INTERACTIVE_BUDGET seconds, and a worker
# serves other people meanwhile instead of queueing them behind it.
worker_class = "gthread"
workers = env_int("GUNICORN_WORKERS", os.cpu_count() or 1, minimum=1)
threads = env_int("GUNICORN_THREADS", 4, minimum=1)

# A worker silent for this long is killed and restarted. Well above the budget, so that no
# action is cut off while it waits on Telnyx (plus the database and rendering around it).
_budget = settings.TELNYX_INTERACTIVE_BUDGET
timeout = env_int("GUNICORN_TIMEOUT", max(30, math.ceil(3 * _budget)), minimum=1)
if timeout < 2 * _budget:
    raise ImproperlyConfigured(
        f"GUNICORN_TIMEOUT must be at least twice TELNYX_INTERACTIVE_BUDGET ({_budget:g} s), "
        f"not {timeout}"
    )
# On a restart or stop, requests under way get as long to finish as they would otherwise.
graceful_timeout = timeout

# Access log on stdout: who, when, method, path without its query string (searches carry
# customers' numbers and references), status, bytes and milliseconds. Errors go to stderr.
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
loglevel = env_str("LOG_LEVEL", "info").lower()

# No runtime control socket (gunicornc): the service manager starts, reloads and stops the
# server, and every instance on a host would otherwise share one path in $HOME.
control_socket_disable = True
