"""Misbehaviour on demand: added latency, random 500s, bursts of 429s and per-order faults."""

from dataclasses import dataclass, field

ORDER_FAULTS = ("timeout", "500", "malformed", "404")


@dataclass
class Faults:
    """Tests set the attributes directly; other processes POST them to /_sandbox/faults."""

    latency: float = 0.0  # seconds added to every API request
    error_rate: float = 0.0  # fraction of API requests answering 500
    rate_limit_burst: int = 0  # the next N API requests answer 429
    rate_limit_reset: int = 1  # seconds announced in x-ratelimit-reset
    order_faults: dict[str, str] = field(default_factory=dict)  # order id -> ORDER_FAULTS item

    def update(self, changes: dict) -> None:
        """Applies `{"latency": 0.1, "order_faults": {"<id>": "timeout" | null}, ...}`."""
        numbers = {"latency": (float, 0, None), "error_rate": (float, 0, 1)}
        numbers |= {"rate_limit_burst": (int, 0, None), "rate_limit_reset": (int, 0, None)}
        for key, value in changes.items():
            if key == "order_faults":
                if not isinstance(value, dict) or any(
                    kind is not None and kind not in ORDER_FAULTS for kind in value.values()
                ):
                    raise ValueError(f"order_faults maps order ids to one of {ORDER_FAULTS}")
                continue
            if key not in numbers:
                raise ValueError(f"unknown fault {key!r}")
            kind, low, high = numbers[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key} must be a number")
            if value < low or (high is not None and value > high) or kind(value) != value:
                raise ValueError(f"{key} is out of range")
        for key, value in changes.items():
            if key == "order_faults":
                for order_id, kind in value.items():
                    if kind is None:
                        self.order_faults.pop(order_id, None)
                    else:
                        self.order_faults[order_id] = kind
            else:
                setattr(self, key, value)
