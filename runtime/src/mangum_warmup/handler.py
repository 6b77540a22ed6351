"""warmable(): answer warm-up events, pass every other event to the wrapped handler untouched."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from .checks import DEFAULT_TIMEOUT_S, Check, ConfigurationError, StepFn, as_checks, run_step
from .prime import prime_key, prime_paths, run_prime
from .protocol import (
    PROTOCOL_VERSION,
    WARMUP_EVENT_KEY,
    CheckResult,
    MalformedRequest,
    WarmupReply,
    WarmupRequest,
    is_warmup_event,
    parse_request,
)
from .redact import Redactor, SecretSource, environment_secrets

# initMs counts from the package's import: the earliest moment it sees of its environment.
_IMPORTED_AT = time.perf_counter()

LOGGER_NAME = "mangum_warmup"
_log = logging.getLogger(LOGGER_NAME)


class LambdaContext(Protocol):
    """The part of the Lambda context object this package reads."""

    function_version: str
    aws_request_id: str


_C = TypeVar("_C", bound=LambdaContext)
_R = TypeVar("_R")


@dataclass
class _Environment:
    """Identity of one execution environment (a process, or a SnapStart restore of one)."""

    started_at: float
    instance_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    init_ms: float | None = None  # set by the first invocation
    init: dict[str, CheckResult] = field(default_factory=dict)
    user_ended_at: float | None = None  # perf_counter when the last user request ended


class Warmable(Generic[_C, _R]):
    """A Lambda handler that answers warm-up events itself and hands everything else on."""

    def __init__(
        self,
        handler: Callable[[dict[str, Any], _C], _R],
        *,
        checks: Mapping[str, Check | StepFn] | None = None,
        on_init: Mapping[str, Check | StepFn] | None = None,
        on_restore: Mapping[str, Check | StepFn] | None = None,
        prime: str | Sequence[str] | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        if not callable(handler):
            raise ConfigurationError(f"warmable() wraps a handler, got {type(handler).__name__}")
        if not timeout > 0:
            raise ConfigurationError(f"timeout must be > 0 seconds, got {timeout!r}")
        self._handler = handler
        self._checks = as_checks("checks", checks, timeout)
        self._on_init = as_checks("on_init", on_init, timeout)
        self._on_restore = as_checks("on_restore", on_restore, timeout)
        self._prime = prime_paths(prime)
        clash = [prime_key(p) for p in self._prime if prime_key(p) in self._on_init]
        if clash:
            raise ConfigurationError(f"on_init name {clash[0]!r} is the name of a prime's outcome")
        self._secret_sources: list[SecretSource] = [
            step.secrets
            for steps in (self._checks, self._on_init, self._on_restore)
            for step in steps.values()
            if step.secrets is not None
        ]
        self._env = _Environment(_IMPORTED_AT)
        self._env.init = _run_all(self._on_init, self._redactor())
        _ensure_log_handler()
        _register_after_restore(self.after_restore)

    @property
    def instance_id(self) -> str:
        """This environment's id, as replies report it."""
        return self._env.instance_id

    @property
    def __wrapped__(self) -> Callable[[dict[str, Any], _C], _R]:
        """The wrapped handler (``functools.wraps``' convention: ``inspect.unwrap`` follows it)."""
        return self._handler

    # Everything the wrapped handler has (a Mangum's config, lifespan, app, infer...)
    # reads and writes through, so code written for the handler keeps working on
    # the wrapper. Attributes with a leading underscore are the wrapper's own.
    # isinstance(wrapper, Mangum) stays False on purpose: the wrapper is not a
    # Mangum; isinstance(wrapper.__wrapped__, Mangum) is the honest question.

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup failed. Dunders are never forwarded:
        # copy, pickle and friends probe them on half-built instances.
        handler = self.__dict__.get("_handler")
        if handler is None or (name.startswith("__") and name.endswith("__")):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(handler, name)

    def __setattr__(self, name: str, value: object) -> None:
        if name.startswith("_") or hasattr(type(self), name):
            object.__setattr__(self, name, value)
        else:
            setattr(self._handler, name, value)

    def __delattr__(self, name: str) -> None:
        if name.startswith("_") or hasattr(type(self), name):
            object.__delattr__(self, name)
        else:
            delattr(self._handler, name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(dir(self._handler)))

    def __repr__(self) -> str:
        return f"warmable({self._handler!r})"

    def __call__(self, event: dict[str, Any], context: _C) -> _R | WarmupReply:
        entered = time.perf_counter()
        env = self._env
        cold = env.init_ms is None
        if env.init_ms is None:
            env.init_ms = _ms(entered - env.started_at)
        if is_warmup_event(event):
            return self._warm_up(event[WARMUP_EVENT_KEY], context, entered, cold)
        if cold:
            # A user's request is this environment's first invocation: no warm-up reached
            # it first, so the user waited for the init. One line per such environment,
            # which the component's metric filter counts (see COLD_START_EVENT).
            _log_cold_start(env, context)
        try:
            return self._handler(event, context)
        finally:
            # A request that raised still kept this environment busy, and warm.
            env.user_ended_at = time.perf_counter()

    def after_restore(self) -> None:
        """SnapStart after-restore hook: a restored snapshot is a new environment.

        New instance id, coldStart and initMs counted afresh from the restore,
        no user request yet (a keep-warm holds it: no user keeps it warm), then
        the on_restore hooks, the built-in checks' reconnects (sockets in a
        snapshot are dead) and the on_init preloads, so that their warm
        connections are live again. Lambda allows 10 s for all restore hooks.
        The prime runs again on the next warm-up, as in any new environment.
        """
        self._env = _Environment(time.perf_counter())
        redactor = self._redactor()
        restored = _run_all(self._on_restore, redactor)
        for name, check in self._checks.items():
            if check.on_restore is not None:
                step = Check(check.on_restore, check.timeout)
                restored[f"check:{name}"] = run_step(step, redactor)
        self._env.init = _run_all(self._on_init, redactor)
        _log_line(
            all(r["ok"] for r in restored.values()),
            {
                "event": "mangum-warmup.restore",
                "instanceId": self._env.instance_id,
                "restore": restored,
            },
        )

    def _warm_up(self, raw: object, context: _C, entered: float, cold: bool) -> WarmupReply:
        env = self._env
        reply: WarmupReply = {
            "protocol": PROTOCOL_VERSION,
            "ok": False,
            "instanceId": env.instance_id,
            "coldStart": cold,
            "initMs": env.init_ms if env.init_ms is not None else 0.0,
            "functionVersion": _function_version(context),
            "heldMs": 0.0,
            "checks": {},
            "init": dict(env.init),
        }
        request: WarmupRequest | None = None
        redactor = self._redactor()
        try:
            request = parse_request(raw)
        except MalformedRequest as exc:
            reply["error"] = str(exc)
        else:
            if _yields_to_users(env, request, entered):
                # Its users have just shown it serves: answer at once, with no
                # checks, prime or hold. Every millisecond spent here is one in
                # which the next user may find no idle environment; a yielded
                # warm-up that still ran its checks and prime took 27-106 ms
                # during a deploy's inits (npm run bench, section 5), as long
                # as a user request. The environments it holds run the checks.
                reply["ok"] = True
                reply["yielded"] = True
            else:
                self._check_prime_and_hold(reply, request, context, redactor, entered)
        reply["heldMs"] = _ms(time.perf_counter() - entered)
        _scrub(reply, redactor)
        _log_warmup(reply, request, context)
        return reply

    def _check_prime_and_hold(
        self,
        reply: WarmupReply,
        request: WarmupRequest,
        context: _C,
        redactor: Redactor,
        entered: float,
    ) -> None:
        """Run the checks, then the prime if they passed, then hold until ``holdMs`` from entry."""
        reply["checks"] = self._run_checks(request.get("checks"), redactor)
        reply["ok"] = all(result["ok"] for result in reply["checks"].values())
        # After the checks, so a primed route finds the pools they opened,
        # and only when they passed: a route primed while its database is
        # down fails for the same reason, after waiting out the pool's
        # timeout. Within the hold, which counts from handler entry.
        if reply["ok"]:
            self._run_prime(context, redactor)
            reply["init"] = dict(self._env.init)
        hold_until = entered + request["holdMs"] / 1000
        while (remaining := hold_until - time.perf_counter()) > 0:
            time.sleep(remaining)

    def _redactor(self) -> Redactor:
        """Masks what is secret right now: the checks' passwords, secret-looking variables."""
        values = environment_secrets()
        for source in self._secret_sources:
            try:
                values.extend(v for v in source() if isinstance(v, str))
            except Exception:  # a source that fails must not cost the reply; patterns remain
                continue
        return Redactor(values)

    def _run_prime(self, context: _C, redactor: Redactor) -> None:
        """Prime each path once per environment; one that failed is tried again next time."""
        for path in self._prime:
            key = prime_key(path)
            done = self._env.init.get(key)
            if done is None or not done["ok"]:
                self._env.init[key] = run_prime(self._handler, path, context, redactor)

    def _run_checks(self, names: list[str] | None, redactor: Redactor) -> dict[str, CheckResult]:
        # Omitted or empty: every registered check (as WarmupSettings.checks documents).
        results: dict[str, CheckResult] = {}
        for name in names or list(self._checks):
            check = self._checks.get(name)
            if check is None:
                registered = ", ".join(self._checks) or "none"
                results[name] = {
                    "ok": False,
                    "ms": 0.0,
                    "error": f"no check named '{name}' is registered (registered: {registered})",
                }
            else:
                results[name] = run_step(check, redactor)
        return results


def warmable(
    handler: Callable[[dict[str, Any], _C], _R],
    *,
    checks: Mapping[str, Check | StepFn] | None = None,
    on_init: Mapping[str, Check | StepFn] | None = None,
    on_restore: Mapping[str, Check | StepFn] | None = None,
    prime: str | Sequence[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> Warmable[_C, _R]:
    """Wrap a Lambda handler (a ``Mangum`` instance) so it answers warm-up events.

    Call it at module scope: the ``on_init`` preloads run right here, during
    the Lambda init phase, before the environment serves its first request.
    ``prime`` names side-effect-free GET paths (e.g. ``"/healthz"``) that the
    first warm-up of each environment whose checks pass sends through
    ``handler``, so the app's lazy first-request work is done before users
    arrive; off by default.
    ``timeout`` is the default for every check and preload (seconds).
    """
    return Warmable(
        handler,
        checks=checks,
        on_init=on_init,
        on_restore=on_restore,
        prime=prime,
        timeout=timeout,
    )


def _yields_to_users(env: _Environment, request: WarmupRequest, entered: float) -> bool:
    """True when a user request ended less than ``yieldToUsersMs`` before this warm-up entered.

    Such an environment is kept warm by its users. Holding it would take it from
    the next user, whom Lambda would then give a cold start in a new environment.
    """
    window_ms = request.get("yieldToUsersMs", 0.0)
    ended = env.user_ended_at
    return window_ms > 0 and ended is not None and (entered - ended) * 1000 < window_ms


def _run_all(steps: Mapping[str, Check], redactor: Redactor) -> dict[str, CheckResult]:
    return {name: run_step(step, redactor) for name, step in steps.items()}


def _scrub(reply: WarmupReply, redactor: Redactor) -> None:
    """Mask secrets in every free text of a reply once more, whatever produced it.

    Each error was cleaned when it was made; this pass also covers what came
    from the request (a malformed request's excerpt, an unknown check's name)
    and secrets learnt after an init entry was made.
    """
    if "error" in reply:
        reply["error"] = redactor(reply["error"])
    for group in (reply["checks"], reply["init"]):
        for name, result in list(group.items()):
            clean_name = redactor(name)
            if "error" in result:
                result = {**result, "error": redactor(result["error"])}
            if clean_name != name:
                del group[name]
            group[clean_name] = result


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _function_version(context: object) -> str:
    version = getattr(context, "function_version", None)
    if isinstance(version, str) and version:
        return version
    return os.environ.get("AWS_LAMBDA_FUNCTION_VERSION") or "$LATEST"


def _register_after_restore(hook: Callable[[], None]) -> None:
    """Register with SnapStart's runtime hooks when running on a runtime that has them."""
    try:
        import snapshot_restore_py
    except ImportError:
        return
    snapshot_restore_py.register_after_restore(hook)


def _ensure_log_handler() -> None:
    """Give the package's logger a plain stdout handler unless the app configured one.

    Lambda's own root handler prefixes each line and drops INFO by default;
    this one writes the bare JSON line, which CloudWatch Logs Insights parses.
    """
    if _log.handlers:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    _log.addHandler(handler)
    _log.setLevel(logging.INFO)
    _log.propagate = False


def _log_warmup(reply: WarmupReply, request: WarmupRequest | None, context: object) -> None:
    line: dict[str, Any] = {
        "event": "mangum-warmup",
        "ok": reply["ok"],
        "source": request["source"] if request else None,
        "deploymentId": request.get("deploymentId") if request else None,
        "holdMs": request["holdMs"] if request else None,
        "yieldToUsersMs": request.get("yieldToUsersMs") if request else None,
        "yielded": reply.get("yielded", False),
        "requestId": getattr(context, "aws_request_id", None),
        **{k: v for k, v in reply.items() if k not in ("protocol", "ok", "yielded")},
    }
    # A failed preload or prime leaves `ok` alone (only checks decide it) but deserves a WARNING.
    _log_line(reply["ok"] and all(r["ok"] for r in reply["init"].values()), line)


COLD_START_EVENT = "mangum-warmup.cold-start"
"""`event` of the line logged when a user's request is an environment's first invocation."""


def _log_cold_start(env: _Environment, context: object) -> None:
    line: dict[str, Any] = {
        "event": COLD_START_EVENT,
        "instanceId": env.instance_id,
        "functionVersion": _function_version(context),
        "initMs": env.init_ms if env.init_ms is not None else 0.0,
        "requestId": getattr(context, "aws_request_id", None),
    }
    # WARNING: a user met a cold start, which this package exists to prevent.
    _log_line(False, line)


def _log_line(ok: bool, line: Mapping[str, Any]) -> None:
    _log.log(logging.INFO if ok else logging.WARNING, json.dumps(line, separators=(",", ":")))
