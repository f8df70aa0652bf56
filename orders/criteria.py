"""Telnyx's acceptance criteria for a text value, checked before it is sent: its pattern (within
bounds a worker can afford), acceptable values and characters, and lengths."""

import logging
import re
from collections.abc import Mapping

import regex
from django.core.exceptions import ValidationError

logger = logging.getLogger("orders.criteria")

# Telnyx's `regex` criteria are matched with the regex package, which can give up: on some
# values a pattern such as (a+)+$ backtracks for minutes. A value whose match gives up is left
# for Telnyx to judge, as is a pattern Python cannot read: Telnyx checks every value it is
# sent, and places its refusal next to the field.
PATTERN_TIMEOUT = 0.1  # seconds
# regex writes counted repeats out when compiling ((?:a{1000}){1000} is a million items, which
# takes seconds; larger ones crash it) and recurses into nested groups: patterns past these
# limits are not compiled either.
PATTERN_SIZE = 10_000
PATTERN_DEPTH = 100
_COUNT = re.compile(r"\{(\d+)(?:,\d*)?\}")


def _set_end(pattern: str, start: int) -> int:
    """Where the `]` closing the character set opened at `start` is."""
    i = start + 1
    if pattern.startswith("^", i):
        i += 1
    if pattern.startswith("]", i):
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i


def _too_costly(pattern: str) -> bool:
    """Whether regex would compile `pattern` to over PATTERN_SIZE items (a count repeats what
    precedes it: nested counts multiply) or nest its groups deeper than PATTERN_DEPTH."""
    if len(pattern) > PATTERN_SIZE:
        return True
    sizes = [0]  # of each open group so far
    last = 0  # the size of what a count would repeat
    i = 0
    while i < len(pattern):
        char = pattern[i]
        count = _COUNT.match(pattern, i) if char == "{" else None
        if count:
            times = max(int(count[1]) if len(count[1]) < 10 else 10**9, 1)
            sizes[-1] += last * (times - 1)
            last *= times
            i = count.end()
            continue
        if char == "(":
            sizes.append(0)
            if len(sizes) > PATTERN_DEPTH:
                return True
        elif char == ")" and len(sizes) > 1:
            last = sizes.pop()
            sizes[-1] += last
        else:
            if char == "\\":
                i += 1
            elif char == "[":
                i = _set_end(pattern, i)
            last = 1
            sizes[-1] += 1
        i += 1
    return sum(sizes) > PATTERN_SIZE


def _compiled(pattern: object) -> regex.Pattern | None:
    """Telnyx's pattern, or None when it is left to Telnyx to check."""
    if not isinstance(pattern, str) or not pattern or _too_costly(pattern):
        return None
    try:
        return regex.compile(pattern)
    except (regex.error, RecursionError, OverflowError, ValueError):
        return None


def textual_validators(criteria: Mapping) -> list:
    """What Telnyx's acceptance criteria say of a text value, checked before it is sent.
    Lengths are the field's own min_length/max_length."""
    validators = []
    pattern = criteria.get("regex")
    compiled = _compiled(pattern)
    if compiled is not None:

        def matches(value: str) -> None:
            try:
                found = compiled.fullmatch(value, timeout=PATTERN_TIMEOUT)
            except TimeoutError:
                logger.warning("pattern %.100r gave up on a value: left to Telnyx", pattern)
                return
            if not found:
                raise ValidationError(
                    "Does not match the format Telnyx expects (%(pattern)s).",
                    params={"pattern": pattern},
                )

        validators.append(matches)
    fold = (lambda text: text) if criteria.get("case_sensitive", True) else str.casefold
    acceptable = criteria.get("acceptable_values")
    if isinstance(acceptable, list) and acceptable:
        allowed = {fold(str(value)) for value in acceptable}

        def one_of(value: str) -> None:
            if fold(value) not in allowed:
                raise ValidationError(
                    "Must be one of: %(values)s.",
                    params={"values": ", ".join(map(str, acceptable))},
                )

        validators.append(one_of)
    characters = criteria.get("acceptable_characters")
    if isinstance(characters, str) and characters:
        allowed_characters = set(fold(characters))

        def only_characters(value: str) -> None:
            if not set(fold(value)) <= allowed_characters:
                raise ValidationError(
                    "Use only these characters: %(characters)s.", params={"characters": characters}
                )

        validators.append(only_characters)
    return validators


def criteria_length(criteria: Mapping, key: str) -> int | None:
    value = criteria.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
