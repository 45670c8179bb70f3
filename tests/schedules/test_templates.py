"""Templates render tokens in both spellings and never let a user or a lead reach Python."""

from __future__ import annotations

import pytest

from leadflow.schedules.templates import TemplateError, check_template, render

TOKENS = {"first_name": "Ann", "blank": "", "zip": 33101, "address": {"city": "Miami"}}


def test_jinja_token_renders() -> None:
    assert render("Hi {{first_name}}!", TOKENS) == "Hi Ann!"


def test_bracket_token_renders() -> None:
    assert render("Hi [first_name]!", TOKENS) == "Hi Ann!"


def test_bracket_default_fills_a_missing_token() -> None:
    assert render("Hi [nickname]{there}!", TOKENS) == "Hi there!"


def test_bracket_default_fills_a_blank_token() -> None:
    assert render("Hi [blank]{friend}!", TOKENS) == "Hi friend!"


def test_missing_tokens_render_empty_in_both_spellings() -> None:
    assert render("<[nickname]|{{ nickname }}|{{ nickname.first }}>", TOKENS) == "<||>"


def test_numbers_render_as_written() -> None:
    assert render("[zip] {{ zip }}", TOKENS) == "33101 33101"


def test_nested_token_renders_by_dot() -> None:
    assert render("{{ address.city }}", TOKENS) == "Miami"


def test_conditions_and_filters_work() -> None:
    source = "{% if zip > 30000 %}{{ first_name | upper }}{% endif %}"
    assert render(source, TOKENS) == "ANN"


def test_json_body_brackets_are_left_alone() -> None:
    assert render('{"ids": [1, 2], "ok": [true]}', TOKENS) == '{"ids": [1, 2], "ok": [true]}'


def test_token_value_with_template_syntax_is_not_run() -> None:
    tokens = {"first_name": "{{ 7 * 7 }} [zip]"}
    assert render("Hi [first_name] {{ first_name }}", tokens) == (
        "Hi {{ 7 * 7 }} [zip] {{ 7 * 7 }} [zip]"
    )


def test_default_with_quotes_and_operators_is_text() -> None:
    assert render("""[nickname]{"it's" ~ me | upper}""", TOKENS) == """"it's" ~ me | upper"""


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__ }}",
        "{{ first_name.__class__.__base__.__subclasses__() }}",
        "{{ first_name['__class__'] }}",
        "{{ self.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
    ],
)
def test_python_escapes_are_refused(source: str) -> None:
    with pytest.raises(TemplateError, match="not allowed"):
        render(source, TOKENS)


def test_escape_hidden_in_a_token_lookup_is_refused() -> None:
    with pytest.raises(TemplateError):
        render("{{ address.items() }}", TOKENS)


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'a' * 1000000000 }}",
        "{{ 9 ** 64 ** 64 ** 64 }}",
        "{{ '%999999999d' % 1 }}",
        "{{ '{:>999999999}'.format(1) }}",
        "{{ first_name.ljust(999999999) }}",
        "{{ ('a' | replace('', 'x' * 9000)) | replace('', 'y' * 9000) }}",
    ],
)
def test_templates_cannot_build_huge_strings(source: str) -> None:
    with pytest.raises(TemplateError):
        render(source, TOKENS)


@pytest.mark.parametrize(
    "source",
    [
        "{% for i in range(10) %}x{% endfor %}",
        "{% macro m() %}{% endmacro %}",
        "{% include 'x' %}",
        "{% import 'x' as y %}",
    ],
)
def test_loops_macros_and_imports_are_refused_when_saved(source: str) -> None:
    with pytest.raises(TemplateError, match="not allowed"):
        check_template(source)


def test_unknown_filter_is_refused_when_saved() -> None:
    with pytest.raises(TemplateError, match="center"):
        check_template("{{ first_name | center(1000000000) }}")


def test_syntax_error_names_the_line() -> None:
    with pytest.raises(TemplateError, match="line 2"):
        check_template("Hi\n{{ first_name")


def test_escape_is_refused_when_saved() -> None:
    with pytest.raises(TemplateError, match="__class__"):
        check_template("{{ ''.__class__ }}")


def test_runtime_failure_is_one_template_error() -> None:
    with pytest.raises(TemplateError, match="division by zero"):
        render("{{ 1 / 0 }}", TOKENS)


def test_too_long_template_is_refused() -> None:
    with pytest.raises(TemplateError, match="longer than"):
        check_template("x" * 10_001)
