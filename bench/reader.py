"""`python -m bench.reader`: how fast order_rows reads fetched orders, in orders per second.

The sync reads every order it fetches in a worker thread (order_rows); this times that alone,
without network or database, in CPU time (the machine may be busy), over sandbox orders as the
sync receives them: each order's JSON, its sub orders' and its requirement definitions', decoded
by orjson as the client decodes them.
"""

import argparse
import os
import time


def _bundles(orders: int, seed: int) -> list:
    import orjson

    from orders.services.telnyx_data import OrderBundle
    from sandbox.server import Sandbox

    box = Sandbox(orders=orders, seed=seed, api_key="bench-reader")
    bundles = []
    for order in box.orders.values():
        sub_orders = [box.sub_orders[sub_id] for sub_id in order["sub_number_orders_ids"]]
        required = {
            requirement["requirement_id"]
            for number in order["phone_numbers"]
            for requirement in number["regulatory_requirements"]
        }
        definitions = [box.definitions[id_] for id_ in sorted(required)]
        # Through JSON, as the client hands them over: plain dicts and lists of fresh strings.
        bundles.append(
            OrderBundle(
                order=orjson.loads(orjson.dumps(order)),
                sub_orders=orjson.loads(orjson.dumps(sub_orders)),
                definitions=orjson.loads(orjson.dumps(definitions)),
            )
        )
    return bundles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reader", description=__doc__)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7, help="timed passes; the best is kept")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordersite.settings_test")
    import django

    django.setup()
    from orders.services.telnyx_data import order_rows

    bundles = _bundles(args.orders, args.seed)
    numbers = sum(len(bundle.order["phone_numbers"]) for bundle in bundles)
    best = float("inf")
    for _ in range(args.repeat):
        started = time.process_time()
        for bundle in bundles:
            order_rows(bundle)
        best = min(best, time.process_time() - started)
    print(
        f"order_rows: {len(bundles):,} orders ({numbers:,} numbers) in {best * 1000:.1f} ms of CPU,"
        f" {len(bundles) / best:,.0f} orders/s (best of {args.repeat})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
