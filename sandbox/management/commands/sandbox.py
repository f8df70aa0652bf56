import os
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sandbox.clock import parse_iso
from sandbox.data import BASE_DATE
from sandbox.server import Sandbox


def _base_date(text: str) -> datetime:
    if text == "today":
        return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return parse_iso(text)


class Command(BaseCommand):
    help = (
        "Serves the fake Telnyx API (number orders, addresses, documents, requirement groups, "
        "comments) in the foreground until Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--orders", type=int, default=500, help="how many number orders")
        parser.add_argument("--seed", type=int, default=1, help="same seed, same orders")
        parser.add_argument(
            "--api-key",
            default=os.environ.get("SANDBOX_API_KEY", "sandbox-key"),
            help="the bearer key clients must send (default: $SANDBOX_API_KEY or sandbox-key)",
        )
        parser.add_argument("--latency-ms", type=float, default=0.0, help="added to each request")
        parser.add_argument(
            "--error-rate", type=float, default=0.0, help="fraction of requests answering 500"
        )
        parser.add_argument(
            "--base-date",
            type=_base_date,
            default=BASE_DATE,
            help=f"date the orders back from here: ISO date or 'today' (default {BASE_DATE:%F})",
        )
        parser.add_argument(
            "--advance-every",
            type=float,
            metavar="SECONDS",
            help="complete the oldest pending order every SECONDS",
        )
        parser.add_argument("--webhook-url", help="where number_order.complete events go")
        parser.add_argument(
            "--webhook-private-key",
            help="base64 Ed25519 private key signing the webhooks (default: derived from --seed)",
        )
        parser.add_argument(
            "--public-key-file",
            type=Path,
            metavar="PATH",
            help="write the base64 public key verifying the webhooks there",
        )
        parser.add_argument("--verbose", action="store_true", help="log every request")

    def handle(self, *args, **options):
        if options["orders"] < 0:
            raise CommandError("--orders cannot be negative")
        if not 0 <= options["error_rate"] <= 1:
            raise CommandError("--error-rate is a fraction between 0 and 1")
        if options["advance_every"] is not None and options["advance_every"] <= 0:
            raise CommandError("--advance-every takes a positive number of seconds")
        self.public_key_file = options["public_key_file"]
        try:
            box = self._sandbox(options)
        except ValueError as problem:  # an unreadable --webhook-private-key
            raise CommandError(f"--webhook-private-key: {problem}") from None
        try:
            box.serve_forever(ready=self._announce)
        except OSError as problem:
            raise CommandError(
                f"cannot serve on {options['host']}:{options['port']}: {problem}"
            ) from None
        except KeyboardInterrupt:
            pass

    def _sandbox(self, options: dict) -> Sandbox:
        return Sandbox(
            orders=options["orders"],
            seed=options["seed"],
            api_key=options["api_key"],
            host=options["host"],
            port=options["port"],
            latency=options["latency_ms"] / 1000,
            error_rate=options["error_rate"],
            base_date=options["base_date"],
            advance_every=options["advance_every"],
            webhook_url=options["webhook_url"],
            webhook_private_key=options["webhook_private_key"],
            verbose=options["verbose"],
        )

    def _announce(self, box: Sandbox) -> None:
        if self.public_key_file:
            self.public_key_file.write_text(box.public_key_b64 + "\n")
        webhooks = f", webhooks to {box.webhook_url}" if box.webhook_url else ""
        self.stdout.write(
            f"Telnyx sandbox: {len(box.orders)} orders at {box.url} with API key "
            f"{box.api_key!r}{webhooks}; Ctrl-C stops it."
        )
        self.stdout.flush()
