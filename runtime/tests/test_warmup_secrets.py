"""No reply and no log line carries a secret: every case of contract/fixtures/secrets.json,
the real psycopg errors behind its psycopg cases, and values the helper knows are secret."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mangum import Mangum
from psycopg_pool import ConnectionPool

from mangum_warmup import Check, ConfigurationError, WarmupReply, psycopg_check, warmable
from mangum_warmup.redact import SCAN_CHARS, Redactor, clean, environment_secrets
from pgserver import PostgresServer
from warmup_app import make_app
from warmup_helpers import load_fixture, warm, warmup_event

CASES: list[dict[str, Any]] = load_fixture("secrets.json")["cases"]
BY_NAME = {case["name"]: case for case in CASES}

# The connection strings behind the fixture's psycopg cases, on the test server's
# port. Recorded with psycopg 3.3.9 / libpq 17 against the server pgserver.py starts.
PSYCOPG: dict[str, tuple[str, str]] = {
    "psycopg (real): URL password containing @ echoed as a host name": (
        "postgresql://postgres:Kx7@vault9Q@127.0.0.1:{port}/postgres",
        "Kx7@vault9Q",
    ),
    "psycopg (real): keyword conninfo password containing a space": (
        "host=127.0.0.1 port={port} user=postgres password=Zq4 lantern88 dbname=postgres",
        "Zq4 lantern88",
    ),
    "psycopg (real): URL password with a stray %": (
        "postgresql://postgres:m%zzQuokka51@127.0.0.1:{port}/postgres",
        "m%zzQuokka51",
    ),
    "psycopg (real): URL password containing a space": (
        "postgresql://postgres:Fjord 62walrus@127.0.0.1:{port}/postgres",
        "Fjord 62walrus",
    ),
}


def leaks(secrets: list[str], *where: object) -> list[str]:
    """The secrets found in any string of ``where`` (keys included), or its JSON."""
    texts: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    for value in where:
        walk(value)
        texts.append(json.dumps(value, ensure_ascii=False))
    return [s for s in secrets if any(s in text for text in texts)]


def test_the_fixture_covers_the_formats_the_audit_found_leaking() -> None:
    assert len(CASES) >= 20
    assert len(BY_NAME) == len(CASES)
    for case in CASES:
        assert set(case) == {"name", "text", "secrets"}
        assert case["secrets"]
        assert all(isinstance(s, str) and len(s) >= 4 for s in case["secrets"])
    names = " | ".join(BY_NAME)
    for shape in ("{'password'", "password: x", "Pwd=", "token=", "Bearer", "password contains @"):
        assert shape in names
    assert set(PSYCOPG) <= set(BY_NAME)
    assert sum(name.startswith("psycopg (real)") for name in BY_NAME) >= 2


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_a_failing_check_reports_the_case_without_its_secrets(
    name: str, log_lines: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    case = BY_NAME[name]

    def check() -> None:
        raise Exception(case["text"])  # the helper knows none of these values: patterns only

    reply = warm(warmable(Mangum(make_app()[0]), checks={"db": check}), warmup_event())
    error = reply["checks"]["db"].get("error", "")
    assert reply["ok"] is False
    assert error.startswith("Exception: " + case["text"].split(":")[0])  # context survives
    assert "***" in error
    assert leaks(case["secrets"], reply, log_lines, capsys.readouterr().out) == []


@pytest.fixture
def pool_for(pg: PostgresServer) -> Iterator[Any]:
    pools: list[ConnectionPool[Any]] = []

    def make(conninfo: str) -> ConnectionPool[Any]:
        pool: ConnectionPool[Any] = ConnectionPool(conninfo, open=False, min_size=1)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()


@pytest.mark.parametrize("name", sorted(PSYCOPG))
def test_a_real_psycopg_error_is_the_fixtures_and_its_reply_carries_no_secret(
    name: str, pg: PostgresServer, pool_for: Any, log_lines: list[dict[str, Any]]
) -> None:
    template, password = PSYCOPG[name]
    conninfo = template.format(port=pg.port)
    case = BY_NAME[name]
    with pytest.raises(psycopg.Error) as raised:
        psycopg.connect(conninfo, connect_timeout=3).close()
    driver_text = f"{type(raised.value).__name__}: {' '.join(str(raised.value).split())}"
    assert driver_text == case["text"]  # the fixture holds the driver's own words
    assert leaks(case["secrets"], driver_text) != []  # and they do echo the password

    handler = warmable(
        Mangum(make_app()[0]), checks={"db": psycopg_check(pool_for(conninfo), timeout=1.5)}
    )
    reply = warm(handler, warmup_event())
    assert reply["checks"]["db"]["ok"] is False
    assert reply["checks"]["db"].get("error", "").startswith(case["text"].split(":")[0])
    assert leaks([password, *case["secrets"]], reply, log_lines) == []


def test_the_pools_password_is_masked_wherever_any_check_echoes_it(
    pg: PostgresServer, pool_for: Any
) -> None:
    # The password of the pool, in no format a pattern would recognise, echoed by
    # another check: masked because the helper knows the value.
    pool = pool_for(pg.dsn)

    def chatty() -> None:
        raise RuntimeError(f"upstream rejected {pg.password} (and {pg.password.upper()})")

    reply = warm(
        warmable(Mangum(make_app()[0]), checks={"db": psycopg_check(pool), "other": chatty}),
        warmup_event(),
    )
    assert reply["checks"]["db"]["ok"] is True
    assert reply["checks"]["other"]["error"] == (
        f"RuntimeError: upstream rejected *** (and {pg.password.upper()})"
    )


def test_secret_looking_environment_variables_are_masked_and_others_are_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAYMENTS_API_TOKEN", "zz-unformatted-value-9")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:Ur1P4ss@db.internal/app")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("APP_STAGE", "prod-blue-7")

    def check() -> None:
        raise RuntimeError(
            "zz-unformatted-value-9 refused; tried Ur1P4ss; signed with "
            "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY on prod-blue-7"
        )

    reply = warm(warmable(Mangum(make_app()[0]), checks={"db": check}), warmup_event())
    assert reply["checks"]["db"]["error"] == (
        "RuntimeError: *** refused; tried ***; signed with *** on prod-blue-7"
    )


def test_a_checks_own_secrets_are_masked_in_every_entry() -> None:
    def login() -> None:
        raise PermissionError("token tk-8d7c6b5a was revoked")

    def preload() -> None:
        raise RuntimeError("cache warmed with tk-8d7c6b5a")

    handler = warmable(
        Mangum(make_app()[0]),
        checks={"api": Check(login, secrets=lambda: ["tk-8d7c6b5a"])},
        on_init={"cache": preload},
    )
    reply = warm(handler, warmup_event())
    assert reply["checks"]["api"]["error"] == "PermissionError: token *** was revoked"
    assert reply["init"]["cache"]["error"] == "RuntimeError: cache warmed with ***"


def test_a_secret_source_that_fails_costs_nothing_but_its_values() -> None:
    def broken() -> list[str]:
        raise RuntimeError("vault unreachable")

    def check() -> None:
        raise RuntimeError("password=hunter2")

    reply = warm(
        warmable(Mangum(make_app()[0]), checks={"db": Check(check, secrets=broken)}),
        warmup_event(),
    )
    assert reply["checks"]["db"]["error"] == "RuntimeError: password=***"


def test_an_exception_whose_message_cannot_be_read_is_still_reported() -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise ValueError("no")

    def check() -> None:
        raise Unprintable

    reply = warm(warmable(Mangum(make_app()[0]), checks={"db": check}), warmup_event())
    assert reply["checks"]["db"]["error"] == "Unprintable: <message could not be read>"


def test_text_is_cut_before_it_is_redacted_and_a_cut_secret_leaves_no_piece() -> None:
    secret = "Sx9-cut-straddling-secret-value"
    head = "y " * ((SCAN_CHARS - 10) // 2)
    text = head + secret + " tail"  # the cut at SCAN_CHARS falls inside the secret
    assert len(head) < SCAN_CHARS < len(head) + len(secret)
    out = clean(text, Redactor([secret]), limit=100_000)
    assert len(out) <= SCAN_CHARS + 4
    assert not any(secret[:n] in out for n in range(4, len(secret) + 1))
    # Without a cut token to drop (no space near the end), the known prefix is masked.
    text = "z" * (SCAN_CHARS - 10) + secret
    out = clean(text, Redactor([secret]), limit=100_000)
    assert out.endswith("***" + " ...")
    assert not any(secret[:n] in out for n in range(4, len(secret) + 1))


def test_redaction_is_idempotent_on_every_fixture_case() -> None:
    redact = Redactor(environment_secrets())
    for case in CASES:
        once = redact(case["text"])
        assert redact(once) == once, case["name"]


# Property: a secret written in any of the common key/value spellings, inside
# arbitrary text, never survives. Values avoid the characters that end an
# unquoted value (whitespace , ; &) or close a quoted one.
KEYS = [
    "password",
    "PASSWORD",
    "passwd",
    "pwd",
    "Pwd",
    "pass",
    "PGPASSWORD",
    "db_password",
    "token",
    "access_token",
    "api_key",
    "apiKey",
    "x-api-key",
    "client_secret",
    "SECRET_KEY",
    "aws_secret_access_key",
    "Authorization",
    "X-Amz-Security-Token",
    "credentials",
]
SEPARATORS = ["=", ": ", " = ", ":", "=>", " : "]
SAFE = string.ascii_letters + string.digits + "!#$%()*+-./:<=>?@[]^_`{|}~"
WORDS = st.lists(st.sampled_from(["error", "at", "line", "3", "(db)", "failed", "{", "}"]))


@settings(max_examples=400, deadline=None)
@given(
    key=st.sampled_from(KEYS),
    sep=st.sampled_from(SEPARATORS),
    quote=st.sampled_from(["", "'", '"']),
    key_quote=st.sampled_from(["", "'", '"']),
    secret=st.text(alphabet=SAFE, min_size=6, max_size=40).map(lambda s: "Q7" + s),
    before=WORDS,
    after=WORDS,
)
def test_a_key_value_secret_never_survives(
    key: str,
    sep: str,
    quote: str,
    key_quote: str,
    secret: str,
    before: list[str],
    after: list[str],
) -> None:
    text = " ".join([*before, f"{key_quote}{key}{key_quote}{sep}{quote}{secret}{quote}", *after])
    assert secret not in Redactor()(text), text


@settings(max_examples=300, deadline=None)
@given(
    scheme=st.sampled_from(["postgresql", "postgres", "mysql+pymysql", "redis", "amqps", "https"]),
    user=st.text(alphabet=string.ascii_lowercase, max_size=8),
    password=st.text(alphabet=SAFE, min_size=6, max_size=30).map(lambda s: "Q7" + s),
    host=st.sampled_from(["db.internal", "10.0.3.17:5432", "[::1]:6379"]),
)
def test_a_url_password_never_survives(scheme: str, user: str, password: str, host: str) -> None:
    text = f"could not connect to {scheme}://{user}:{password}@{host}/app (timeout)"
    assert password not in Redactor()(text), text


def test_a_reply_is_json_with_no_secret_even_when_every_entry_fails(
    log_lines: list[dict[str, Any]],
) -> None:
    texts = [case["text"] for case in CASES]

    def failing(text: str) -> Any:
        def step() -> None:
            raise RuntimeError(text)

        return step

    handler = warmable(
        Mangum(make_app()[0]),
        checks={f"c{i}": failing(t) for i, t in enumerate(texts)},
        on_init={f"i{i}": failing(t) for i, t in enumerate(texts)},
    )
    reply: WarmupReply = warm(handler, warmup_event())
    everything = [s for case in CASES for s in case["secrets"]]
    assert leaks(everything, reply, log_lines) == []


def test_a_secret_is_masked_however_the_error_spells_it() -> None:
    secret = "tab\there  and\\back"
    redact = Redactor([secret])
    for shown in (
        "tab here and\\back",  # whitespace collapsed, as in every error text
        repr(secret),  # a dict or tuple repr: 'tab\\there  and\\\\back'
        json.dumps(secret),  # a JSON body
        "tab%09here%20%20and%5Cback",  # URL-encoded
    ):
        assert redact(f"got {shown} now") in ("got *** now", "got '***' now", 'got "***" now')


def test_a_checks_secrets_must_be_a_callable() -> None:
    with pytest.raises(ConfigurationError) as raised:
        Check(lambda: None, secrets=["tk-1"])  # type: ignore[arg-type]
    assert str(raised.value) == "a check's secrets must be a callable returning strings, got list"


def test_a_requested_check_name_carrying_a_secret_is_masked_in_the_reply(
    log_lines: list[dict[str, Any]],
) -> None:
    reply = warm(
        warmable(Mangum(make_app()[0]), checks={"db": lambda: None}),
        warmup_event(checks=["password=Nm3-in-a-name"]),
    )
    assert list(reply["checks"]) == ["password=***"]
    assert leaks(["Nm3-in-a-name"], reply, log_lines) == []
