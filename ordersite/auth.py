from django.conf import settings
from django.contrib.auth.middleware import PersistentRemoteUserMiddleware


class TrustedHeaderMiddleware(PersistentRemoteUserMiddleware):
    """Logs in the user an intranet proxy names in REMOTE_USER_HEADER.

    Persistent: the session survives requests where the proxy omits the header (static files,
    health checks). Only enable TRUST_REMOTE_USER behind a proxy that strips the header from
    clients, or anyone can claim any name.
    """

    @property
    def header(self) -> str:
        return settings.REMOTE_USER_HEADER
