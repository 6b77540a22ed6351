"""Running one named, timed step (a check, an init preload, a restore hook) without ever raising."""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from .protocol import CheckResult
from .redact import Redactor, SecretSource, clean, default_redactor

DEFAULT_TIMEOUT_S = 5.0
"""Per-step timeout unless a Check says otherwise."""

MAX_ERROR_CHARS = 500
"""Error texts are cut here (after redaction): replies travel through CodeDeploy and logs."""

StepFn = Callable[[], object]
"""A check or preload: a plain callable, sync or async. Fails by raising; its value is ignored."""


@dataclass(frozen=True)
class Check:
    """A step with its own timeout and, optionally, what to do after a SnapStart restore.

    ``secrets`` returns values the step knows are secret (its database password,
    say); they are masked wherever they appear in any reply or log line.
    """

    fn: StepFn
    timeout: float = DEFAULT_TIMEOUT_S
    on_restore: Callable[[], object] | None = None
    secrets: SecretSource | None = None

    def __post_init__(self) -> None:
        if not callable(self.fn):
            raise ConfigurationError(f"a check must be callable, got {type(self.fn).__name__}")
        if not self.timeout > 0:
            raise ConfigurationError(f"a check timeout must be > 0 seconds, got {self.timeout!r}")
        if self.secrets is not None and not callable(self.secrets):
            raise ConfigurationError(
                "a check's secrets must be a callable returning strings, "
                f"got {type(self.secrets).__name__}"
            )


class ConfigurationError(ValueError):
    """warmable() or a Check was given arguments it cannot work with."""


def as_check(step: Check | StepFn, default_timeout: float) -> Check:
    """Accept a bare callable wherever a Check is accepted."""
    return step if isinstance(step, Check) else Check(step, timeout=default_timeout)


def as_checks(
    kind: str, steps: Mapping[str, Check | StepFn] | None, default_timeout: float
) -> dict[str, Check]:
    """Validate a ``{name: step}`` mapping given to warmable()."""
    if steps is None:
        return {}
    if not isinstance(steps, Mapping):
        raise ConfigurationError(f"{kind} must be a mapping of name to callable")
    for name in steps:
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"{kind} names must be non-empty strings, got {name!r}")
    return {name: as_check(step, default_timeout) for name, step in steps.items()}


def run_step(step: Check, redactor: Redactor | None = None) -> CheckResult:
    """Run ``step`` within its timeout and describe the outcome; never raises.

    A sync step runs in a daemon thread so that a hung one cannot hang the
    invocation: on timeout it is abandoned and may keep running in the
    background (Python cannot kill a thread). An awaitable it returns, or an
    async step, runs on the event loop Mangum uses (see _event_loop).
    """
    started = time.perf_counter()
    deadline = started + step.timeout
    try:
        if _is_async(step.fn):
            _await(_as_awaitable(step.fn()), step.timeout)
        else:
            value = _call_in_thread(step.fn, step.timeout)
            if inspect.isawaitable(value):
                _await(value, max(deadline - time.perf_counter(), 0.0))
    except StepTimeout:
        return _failed(started, f"TimeoutError: did not finish within {step.timeout:g} s")
    except (Exception, asyncio.CancelledError, SystemExit) as exc:
        # SystemExit too: a check calling sys.exit() must not end the runtime.
        return _failed(started, describe_error(exc, redactor))
    return {"ok": True, "ms": _ms_since(started)}


class StepTimeout(Exception):
    """A step did not finish within its timeout."""


def describe_error(exc: BaseException, redactor: Redactor | None = None) -> str:
    """``"<ExceptionType>: <message>"`` on one line, secrets masked, at most 500 characters."""
    try:
        message = str(exc)
    except Exception:  # an exception whose __str__ raises still gets described
        message = "<message could not be read>"
    text = f"{type(exc).__name__}: {message}" if message.strip() else type(exc).__name__
    return clean(text, redactor or default_redactor(), MAX_ERROR_CHARS)


def _failed(started: float, error: str) -> CheckResult:
    return {"ok": False, "ms": _ms_since(started), "error": error}


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _is_async(fn: object) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - an object with an async __call__
    )


def _as_awaitable(value: object) -> Awaitable[object]:
    if not inspect.isawaitable(value):
        raise TypeError(f"an async check returned {type(value).__name__}, not an awaitable")
    return value


_T = TypeVar("_T")


def _call_in_thread(fn: Callable[[], _T], timeout: float) -> _T:
    outcome: list[tuple[bool, Any]] = []

    def target() -> None:
        try:
            outcome.append((True, fn()))
        except BaseException as exc:  # handed over to the caller, who decides
            outcome.append((False, exc))

    worker = threading.Thread(target=target, name="mangum-warmup-check", daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        raise StepTimeout
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def _await(awaitable: Awaitable[object], timeout: float) -> None:
    """Run ``awaitable`` to completion within ``timeout`` on Mangum's loop, or on a private one."""
    loop, private = _event_loop()
    if loop is None:
        # Called from inside a running loop (not how Lambda calls a handler): a
        # thread gets a loop of its own.
        _call_in_thread(lambda: asyncio.run(_bounded(awaitable, timeout)), timeout + 1)
        return
    try:
        loop.run_until_complete(_bounded(awaitable, timeout))
    finally:
        if private:
            loop.close()


async def _bounded(awaitable: Awaitable[object], timeout: float) -> None:
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        task.cancel()
        await asyncio.sleep(0)  # let it see the cancellation before the loop is left idle
        raise StepTimeout
    task.result()


def _event_loop() -> tuple[asyncio.AbstractEventLoop | None, bool]:
    """The loop to run async steps on, and whether it is private (to close after use).

    Mangum sets the thread's event loop once, when it is constructed, and runs
    every invocation on it; async resources created at module scope (asyncpg
    or psycopg async pools) belong to that loop, so the warm-up must await them
    there too. ``asyncio.run`` would be wrong twice over: a foreign loop, and it
    unsets the thread's loop on exit, which breaks Mangum's next invocation.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return None, False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:  # no loop set in this thread (Python 3.14+ or not the main thread)
            return asyncio.new_event_loop(), True
    if loop.is_closed():
        return asyncio.new_event_loop(), True
    return loop, False
