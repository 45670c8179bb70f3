"""The one template engine: both dialects render as before, and every limit (range, loop
iterations, string growth, output size, CPU time) is refused when saved where it can be seen,
and stops the render quickly, in bounded memory, where it cannot."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from leadflow.kit.templating import (
    DATA,
    MESSAGE,
    TemplateError,
    TemplateLimitError,
    TemplateLimits,
    check,
    render,
)

LIMITS = TemplateLimits()
NESTED_RANGES = "{% for i in range(20000) %}{% for j in range(20000) %}{% endfor %}{% endfor %}"
DOUBLING = "{% set a = 'xxxxxxxxxx' %}" + "{% set a = a ~ a %}" * 30 + "{{ a }}"


def test_message_dialect_renders_both_spellings() -> None:
    tokens = {"first_name": "Ann", "blank": ""}
    source = "Hi [first_name], {{ first_name | upper }}! [blank]{friend} [nick]{there}"
    assert render(source, tokens, MESSAGE, LIMITS) == "Hi Ann, ANN! friend there"


def test_data_dialect_reads_fields_and_the_whole_lead() -> None:
    lead = {"firstName": "Ada", "address": {"state": "CO"}}
    source = "{{ firstName }}/{{ lead.address.state }}/{% for i in range(3) %}{{ i }}{% endfor %}"
    assert render(source, lead, DATA, LIMITS) == "Ada/CO/012"


def test_nested_literal_ranges_are_refused_when_saved() -> None:
    with pytest.raises(TemplateLimitError, match="range of 20000 items"):
        check(NESTED_RANGES, DATA, LIMITS)


def test_nested_literal_loops_over_the_iteration_limit_are_refused_when_saved() -> None:
    source = "{% for i in range(500) %}{% for j in range(500) %}x{% endfor %}{% endfor %}"
    with pytest.raises(TemplateLimitError, match="loops would run 250000 times"):
        check(source, DATA, LIMITS)


def test_a_literal_width_over_the_output_cap_is_refused_when_saved() -> None:
    with pytest.raises(TemplateLimitError, match="center width"):
        check("{{ firstName | center(1000000000) }}", DATA, LIMITS)


def test_an_unknown_filter_is_refused_when_saved() -> None:
    with pytest.raises(TemplateError, match="filesizeformat"):
        check("{{ 5 | filesizeformat }}", DATA, LIMITS)


def test_a_range_over_the_limit_fails_at_render() -> None:
    with pytest.raises(TemplateLimitError, match="range of 20000 items"):
        render("{% set n = 20000 %}{% for i in range(n) %}{% endfor %}", {}, DATA, LIMITS)


def test_loop_iterations_are_counted_across_the_whole_render() -> None:
    source = (
        "{% set n = 1000 %}{% for i in range(n) %}{% for j in range(n) %}{% endfor %}{% endfor %}"
    )
    started = time.perf_counter()
    with pytest.raises(TemplateLimitError, match="loops ran more than 10000 times"):
        render(source, {}, DATA, LIMITS)
    assert time.perf_counter() - started < 1.0


def test_doubling_a_string_stops_before_it_is_built() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(TemplateLimitError, match="longer than 100000 characters"):
            render(DOUBLING, {}, DATA, LIMITS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # 30 doublings of 10 characters would be 10 GB


def test_doubling_in_a_schedule_message_stops_too() -> None:
    with pytest.raises(TemplateLimitError):
        render(DOUBLING, {}, MESSAGE, LIMITS)


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'a' * 1000000000 }}",
        "{% set a = 'x' * 60000 %}{{ a + a }}",
        "{{ 'x' | indent(1000000000) }}",
        "{% set w = 1000000000 %}{{ 'x' | center(w) }}",
        "{{ ('x' * 9999) | wordwrap(1, wrapstring='-' * 99) }}",
        "{{ '%999999999d' | format(1) }}",
        "{{ range(1000) | join('x' * 1000) }}",
        "{{ ('a' | replace('', 'x' * 9000)) | replace('', 'y' * 9000) }}",
        "{{ 9 ** 64 ** 64 ** 64 }}",
    ],
)
def test_every_way_to_grow_a_string_is_capped(source: str) -> None:
    with pytest.raises(TemplateError):
        render(source, {}, DATA, LIMITS)


def test_output_is_capped_even_when_each_piece_is_small() -> None:
    source = "{% for i in range(1000) %}{{ 'x' * 200 }}{% endfor %}"
    with pytest.raises(TemplateLimitError, match="renders longer than 100000 characters"):
        render(source, {}, DATA, LIMITS)


def test_output_cap_follows_the_limits() -> None:
    small = TemplateLimits(max_output_chars=10)
    with pytest.raises(TemplateLimitError, match="longer than 10 characters"):
        render("Hi [first_name]", {"first_name": "Bartholomew"}, MESSAGE, small)


def test_a_render_over_its_cpu_budget_is_stopped() -> None:
    busy = (
        "{% for i in range(900) %}{% for j in range(10) %}"
        "{{ (('x' ~ i ~ j) | replace('x', 'yy') | upper | center(40) | trim | title)[:1] }}"
        "{% endfor %}{% endfor %}"
    )
    assert render(busy, {}, DATA, TemplateLimits(cpu_seconds=10))  # it does finish
    tight = TemplateLimits(cpu_seconds=0.002)
    started = time.thread_time()
    with pytest.raises(TemplateLimitError, match="CPU time"):
        render(busy, {}, DATA, tight)
    assert time.thread_time() - started < 0.05


def test_source_longer_than_the_limit_is_refused() -> None:
    with pytest.raises(TemplateLimitError, match="longer than 10000 characters"):
        check("x" * 10_001, MESSAGE, LIMITS)


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ _bracket }}x{{ __builtins__ }}",
        "{% for x in [1] recursive %}{{ loop([]) }}{% endfor %}",
        "{% macro m() %}{% endmacro %}",
        "{% filter upper %}x{% endfilter %}",
    ],
)
def test_escapes_and_unbounded_statements_are_refused_when_saved(source: str) -> None:
    with pytest.raises(TemplateError, match="not allowed"):
        check(source, DATA, LIMITS)
