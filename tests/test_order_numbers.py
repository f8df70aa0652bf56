"""The numbers of a big order: grouped by sub order, big groups collapsed, values the numbers of a
group share shown once, and a filter (digits, status, requirement state) kept in the address."""

import re

from orders.models import PhoneNumber, RequirementValue
from orders.selectors.number_groups import COLLAPSE_AFTER
from tests.helpers import HTMX, html_section, page_html


def _numbers(client, order, **query) -> str:
    return html_section(page_html(client, f"/orders/{order.pk}/", query), "numbers")


def _shown(html: str) -> list[str]:
    return re.findall(r'<span class="e164">(\+\d+)</span>', html)


def _declined(number: PhoneNumber, value: str = "CHE-000") -> None:
    RequirementValue.objects.filter(phone_number=number).update(
        field_value=value, status="declined"
    )


def test_a_small_group_is_open_and_a_big_one_starts_collapsed(support_client, order_factory):
    small = order_factory(numbers=2)
    big = order_factory(numbers=COLLAPSE_AFTER + 1)

    assert '<details class="number-group" open>' in _numbers(support_client, small)
    big_html = _numbers(support_client, big)
    assert '<details class="number-group">' in big_html
    assert f"{COLLAPSE_AFTER + 1} numbers" in big_html
    assert len(_shown(big_html)) == COLLAPSE_AFTER + 1  # collapsed, still on the page


def test_values_every_number_shares_are_shown_once_for_the_group(support_client, order_factory):
    order = order_factory(numbers=30, field_value="CHE-555.444.333")
    html = _numbers(support_client, order)

    assert html.count("CHE-555.444.333") == 1
    assert "The same for all 30 numbers" in html
    assert html.count("Only the values the group shares, above.") == 30


def test_a_value_that_differs_stays_on_its_number(support_client, order_factory):
    order = order_factory(numbers=3, field_value="CHE-555.444.333")
    odd = order.phone_numbers.order_by("phone_number").first()
    _declined(odd)
    html = _numbers(support_client, order)

    assert "shared-values" not in html
    rows = re.search(rf'<tbody id="number-{odd.id}">.*?</tbody>', html, re.S)[0]
    assert "CHE-000" in rows and 'data-status="declined"' in rows
    assert html.count("CHE-555.444.333") == 2


def test_filter_by_digits_status_and_requirement_state(support_client, order_factory):
    order = order_factory(numbers=4)
    first, second, *_ = order.phone_numbers.order_by("phone_number")
    _declined(second)
    PhoneNumber.objects.filter(pk=first.pk).update(status="success")

    assert _shown(_numbers(support_client, order, digits=first.phone_number[-5:])) == [
        first.phone_number
    ]
    assert _shown(_numbers(support_client, order, status="success")) == [first.phone_number]
    assert _shown(_numbers(support_client, order, requirement="declined")) == [second.phone_number]
    awaiting = _shown(_numbers(support_client, order, requirement="awaiting"))
    assert second.phone_number not in awaiting and len(awaiting) == 3
    html = _numbers(support_client, order, digits="999999999999")
    assert "No number matches the filter." in html
    assert _shown(html) == []


def test_a_filtered_big_group_opens_and_says_how_many_of_its_numbers_show(
    support_client, order_factory
):
    order = order_factory(numbers=COLLAPSE_AFTER + 6)
    _declined(order.phone_numbers.order_by("phone_number").first())
    html = _numbers(support_client, order, requirement="declined")

    assert '<details class="number-group" open>' in html
    assert f"1 of {COLLAPSE_AFTER + 6} numbers" in html


def test_a_filter_value_that_does_not_validate_filters_nothing(support_client, order_factory):
    order = order_factory(numbers=3)

    html = _numbers(support_client, order, status="nonsense", requirement="<script>")
    assert len(_shown(html)) == 3
    assert "<script>" not in html


def test_the_htmx_filter_answers_with_the_groups_alone(support_client, order_factory):
    order = order_factory(numbers=3)
    response = support_client.get(
        f"/orders/{order.pk}/",
        {"digits": "", "requirement": "awaiting"},
        headers=HTMX | {"HX-Target": "number-groups"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="number-groups">')
    assert len(_shown(html)) == 3
    assert "order-panel" not in html


def test_the_live_refresh_keeps_the_filter_of_the_page_being_looked_at(
    support_client, order_factory
):
    order = order_factory(numbers=3)
    first = order.phone_numbers.order_by("phone_number").first()
    url = f"http://testserver/orders/{order.pk}/?digits={first.phone_number[1:]}"
    response = support_client.get(f"/orders/{order.pk}/", headers=HTMX | {"HX-Current-URL": url})

    assert _shown(html_section(response.content.decode(), "numbers")) == [first.phone_number]


def test_requirement_states_read_telnyxs_verdict_first_as_the_queue_does(
    support_client, order_factory
):
    order = order_factory(numbers=3)
    declined, approved, _ = order.phone_numbers.order_by("phone_number")
    # Telnyx declined or approved a value that it holds no text for: its verdict counts.
    RequirementValue.objects.filter(phone_number=declined).update(status="declined")
    RequirementValue.objects.filter(phone_number=approved).update(status="approved")

    assert _shown(_numbers(support_client, order, requirement="declined")) == [
        declined.phone_number
    ]
    assert approved.phone_number not in _shown(
        _numbers(support_client, order, requirement="awaiting")
    )
    assert _shown(_numbers(support_client, order, requirement="approved")) == [
        approved.phone_number
    ]
