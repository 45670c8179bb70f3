"""What one render may cost, and the meter that enforces it while the template runs.

Jinja compiles a template to Python, so nothing can stop it between two bytecodes except
code of ours that it calls. The sandbox (:mod:`.sandbox`) calls the meter from every hook
that runs often: each loop iteration, each function, method and filter call, each attribute
or item lookup, each ``~``, ``+``, ``*`` and each chunk of output. Those hooks refuse values
that would grow past the output cap *before* building them, count loop iterations over the
whole render, and look at the thread's CPU clock every few ticks.

What the meter cannot interrupt is one call that runs long inside C (``str.replace`` over a
long text, say): every such call is bounded by the size caps on its arguments, so the longest
one is a few milliseconds, and the budget is checked as soon as it returns.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadflow.settings import Settings

_CLOCK_EVERY = 32
"""Ticks between two looks at the CPU clock (a look is a system call, about a microsecond)."""


class TemplateError(ValueError):
    """A template that cannot be compiled or rendered; the message says why, for the user."""


class TemplateLimitError(TemplateError):
    """A template that broke one of the limits: its render is stopped, never retried."""


@dataclass(frozen=True)
class TemplateLimits:
    """The limits of one render; :meth:`from_settings` reads the ``LEADFLOW_TEMPLATE_*``
    settings (their defaults are these)."""

    max_source_chars: int = 10_000
    max_output_chars: int = 100_000
    max_loop_iterations: int = 10_000
    max_range: int = 1_000
    cpu_seconds: float = 0.1

    @classmethod
    def from_settings(cls, settings: Settings) -> TemplateLimits:
        return cls(
            max_source_chars=settings.template_max_source_chars,
            max_output_chars=settings.template_max_output_chars,
            max_loop_iterations=settings.template_max_loop_iterations,
            max_range=settings.template_max_range,
            cpu_seconds=settings.template_cpu_seconds,
        )


class Meter:
    """One render's consumption: ticks, loop iterations, output so far, and its deadline."""

    __slots__ = ("deadline", "iterations", "limits", "output", "ticks")

    def __init__(self, limits: TemplateLimits) -> None:
        self.limits = limits
        self.ticks = 0
        self.iterations = 0
        self.output = 0
        self.deadline = time.thread_time() + limits.cpu_seconds

    def tick(self) -> None:
        """One hook ran; every few ticks, is the CPU budget spent?"""
        self.ticks += 1
        if self.ticks % _CLOCK_EVERY == 0:
            self.check_clock()

    def check_clock(self) -> None:
        if time.thread_time() > self.deadline:
            raise TemplateLimitError(
                f"took more than {self.limits.cpu_seconds:g} s of CPU time to render"
            )

    def iteration(self) -> None:
        self.iterations += 1
        if self.iterations > self.limits.max_loop_iterations:
            raise TemplateLimitError(
                f"loops ran more than {self.limits.max_loop_iterations} times in one render"
            )
        self.tick()

    def grow(self, size: int) -> None:
        """A value of ``size`` characters (or items) is about to be built."""
        if size > self.limits.max_output_chars:
            raise TemplateLimitError(
                f"builds a value longer than {self.limits.max_output_chars} characters"
            )

    def emit(self, chunk: str) -> None:
        self.output += len(chunk)
        if self.output > self.limits.max_output_chars:
            raise TemplateLimitError(
                f"renders longer than {self.limits.max_output_chars} characters"
            )
        self.tick()

    def check_value(self, value: Any) -> Any:
        """A value a call returned: refused when it is a string or list over the cap."""
        if isinstance(value, str | list | tuple | dict):
            self.grow(len(value))
        self.tick()
        return value

    def check_range(self, size: int) -> None:
        if size > self.limits.max_range:
            raise TemplateLimitError(
                f"range of {size} items is over the limit of {self.limits.max_range}"
            )


_METER: ContextVar[Meter | None] = ContextVar("leadflow_template_meter", default=None)
_DEFAULT_LIMITS = TemplateLimits()


def meter() -> Meter:
    """The running render's meter; outside a render (Jinja folding constants while it
    compiles) a fresh one with the default limits, so that folding is bounded too."""
    current = _METER.get()
    return current if current is not None else Meter(_DEFAULT_LIMITS)


@contextmanager
def metered(limits: TemplateLimits) -> Iterator[Meter]:
    """Run a render under a new meter."""
    running = Meter(limits)
    token = _METER.set(running)
    try:
        yield running
    finally:
        _METER.reset(token)
