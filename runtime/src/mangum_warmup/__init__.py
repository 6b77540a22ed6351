"""Answer pulumi-mangum warm-up events inside a Mangum Lambda handler.

Usage: ``handler = warmable(Mangum(app), checks={"db": psycopg_check(pool)})``.
"""

from .checks import Check, ConfigurationError, StepFn
from .db import psycopg_check, sqlalchemy_check
from .handler import COLD_START_EVENT, LOGGER_NAME, LambdaContext, Warmable, warmable
from .prime import WARMUP_API_ID, WARMUP_DOMAIN_NAME, is_warmup_request
from .protocol import (
    MAX_HOLD_MS,
    MAX_YIELD_TO_USERS_MS,
    PROTOCOL_VERSION,
    WARMUP_EVENT_KEY,
    CheckResult,
    MalformedRequest,
    WarmupReply,
    WarmupRequest,
    WarmupSource,
    is_warmup_event,
    parse_request,
)

__all__ = [
    "COLD_START_EVENT",
    "LOGGER_NAME",
    "MAX_HOLD_MS",
    "MAX_YIELD_TO_USERS_MS",
    "PROTOCOL_VERSION",
    "WARMUP_API_ID",
    "WARMUP_DOMAIN_NAME",
    "WARMUP_EVENT_KEY",
    "Check",
    "CheckResult",
    "ConfigurationError",
    "LambdaContext",
    "MalformedRequest",
    "StepFn",
    "Warmable",
    "WarmupReply",
    "WarmupRequest",
    "WarmupSource",
    "is_warmup_event",
    "is_warmup_request",
    "parse_request",
    "psycopg_check",
    "sqlalchemy_check",
    "warmable",
]
