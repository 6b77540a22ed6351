"""Keeping secrets out of replies and logs: by value (what the helper knows) and by pattern.

Replies travel through the hooks' logs, the deployer's result (plain-text
Pulumi state) and the ``pulumi up`` error, so an error text is cut, then
cleaned of every secret this process knows the value of, then of everything
shaped like a credential. The patterns are written to run in time linear in
the text (no pattern can restart inside a run of the characters it scans),
and the text is cut to ``SCAN_CHARS`` first, so a hostile 80 KB message costs
what a 4 KB one does.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import quote, unquote

MASK = "***"
SCAN_CHARS = 4096
"""Error text is cut here before anything else looks at it."""

MIN_SECRET_CHARS = 4
"""Known values shorter than this are not masked by value (they would blank common words)."""

_MAX_PIECED_CHARS = 256
_NOT_SECRET_VALUES = frozenset({"true", "false", "yes", "no", "on", "off", "none", "null"})

# Words that make an environment variable's value a secret: parts of its name
# split at "_" / "-" / ".", e.g. DB_PASSWORD, AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN.
_SECRET_NAME_PARTS = frozenset(
    {
        "PASSWORD",
        "PASSWD",
        "PASS",
        "PWD",
        "SECRET",
        "SECRETS",
        "TOKEN",
        "TOKENS",
        "KEY",
        "KEYS",
        "APIKEY",
        "CREDENTIAL",
        "CREDENTIALS",
        "CREDS",
        "AUTH",
        "SIGNATURE",
        "PRIVATE",
        "DSN",
    }
)
_SECRET_NAME_WORDS = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "CREDENTIAL", "APIKEY")
_NOT_SECRET_NAMES = frozenset({"PWD", "OLDPWD"})  # the shell's working directories

# Where a secret value ends when it is not quoted, and the characters that split
# one into the pieces a parser may echo (libpq echoes "vault9Q" of "Kx7@vault9Q").
_PIECE_SPLIT = re.compile(r"[\s@/:?#%&;,=]+")

SecretSource = Callable[[], Iterable[str]]
"""Something that knows secret values, asked each time a reply is cleaned."""


class Redactor:
    """Masks the known secret values, then every credential-shaped text, in one error text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values: set[str] = set()
        for secret in secrets:
            values.update(_variants(secret))
        # Longest first, so "p@ssword" is masked whole before its piece "ssword".
        self._values = sorted(values, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def mask_cut_end(self, text: str) -> str:
        """Mask a known secret that a cut left only the start of, at the end of ``text``."""
        for value in self._values:
            for size in range(min(len(value) - 1, len(text)), 0, -1):
                if text.endswith(value[:size]):
                    return text[:-size] + MASK
        return text


def default_redactor() -> Redactor:
    """A Redactor for this process's secret-looking environment variables."""
    return Redactor(environment_secrets())


def clean(text: str, redactor: Redactor, limit: int) -> str:
    """Cut ``text`` to SCAN_CHARS, mask secrets, put it on one line, cut it to ``limit``."""
    cut = len(text) > SCAN_CHARS
    if cut:
        text = text[:SCAN_CHARS]
        # Drop the token the cut went through: a URL or key=value cut before
        # its end no longer looks like one to the patterns.
        space = max(text.rfind(" "), text.rfind("\n"), text.rfind("\t"))
        if space > SCAN_CHARS - 512:
            text = text[:space]
        text = redactor.mask_cut_end(text)
    text = redactor(" ".join(text.split()))
    if cut:
        text += " ..."
    return text if len(text) <= limit else text[: limit - 3] + "..."


def environment_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of variables whose names look secret, and passwords inside any variable's URL."""
    found: list[str] = []
    for name, value in (os.environ if environ is None else environ).items():
        if secret_name(name):
            found.append(value)
        found.extend(url_passwords(value))
    return found


def secret_name(name: str) -> bool:
    """Whether an environment variable's name says its value is a secret."""
    upper = name.upper()
    if upper in _NOT_SECRET_NAMES:
        return False
    parts = set(re.split(r"[_\-.]+", upper))
    return bool(parts & _SECRET_NAME_PARTS) or any(w in upper for w in _SECRET_NAME_WORDS)


def url_passwords(text: str) -> list[str]:
    """Passwords of ``scheme://user:password@host`` URLs, taking the last "@" as the end.

    That is how a user means a password with "@" in it, even where libpq splits
    at the first one (and then echoes the rest as a host name).
    """
    found = []
    for match in _URL_USERINFO.finditer(text):
        found.append(match.group("password"))
    return found


def conninfo_passwords(conninfo: str) -> list[str]:
    """The password of a libpq connection string, in URL or keyword form, however malformed.

    Keyword form without quotes takes every word up to the next ``key=``, since
    ``password=two words`` is what a user wrote, whatever libpq makes of it.
    """
    found = url_passwords(conninfo)
    for match in _KEYWORD_PASSWORD.finditer(conninfo):
        quoted = match.group("quoted")
        if quoted is not None:
            found.append(re.sub(r"\\(.)", r"\1", quoted))
        else:
            found.append(match.group("bare").strip())
    return found


def _variants(secret: object) -> set[str]:
    """A secret, its URL-encoded and decoded forms, and its pieces a parser may echo alone."""
    if not isinstance(secret, str):
        return set()
    # As written, URL-decoded and -encoded, with its whitespace collapsed (as
    # error texts are before masking), and escaped the way repr() and JSON show it.
    forms = {
        secret,
        unquote(secret),
        quote(secret, safe=""),
        " ".join(secret.split()),
        repr(secret)[1:-1],
        json.dumps(secret)[1:-1],
    }
    # Pieces only of password-sized values: a long JSON blob's pieces are common words.
    pieces = {p for f in forms if len(f) <= _MAX_PIECED_CHARS for p in _PIECE_SPLIT.split(f)}
    return {v for v in forms | pieces if _maskable(v)}


def _maskable(value: str) -> bool:
    """Long enough, and not a word or number every message has (a port, ``true``)."""
    if len(value) < MIN_SECRET_CHARS or value.lower() in _NOT_SECRET_VALUES:
        return False
    return not (value.isdigit() and len(value) < 8)


_URL_START = re.compile(r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]{0,30}://")
_USER_END = re.compile(r"[:/@]")
_URL_USERINFO = re.compile(_URL_START.pattern + r"[^\s:/@]*:(?P<password>\S*)@")
_KEYWORD_PASSWORD = re.compile(
    r"(?i)(?<![A-Za-z0-9_])password\s*=\s*"
    r"(?:'(?P<quoted>(?:[^'\\]|\\.)*)'|(?P<bare>[^\s=]+(?:\s+[^\s=]+(?=\s|$))*))"
)

# Names whose value is a secret, as keys in key=value, key: value, "key": "value",
# 'key': 'value'. The key starts where a word starts (so no pattern restarts
# inside a long run of letters) and ends with one of these words.
_KEY_WORDS = (
    r"passw(?:or)?d|secret|token|credentials?|authorization|signature|cookie|"
    r"api[_\-]?key|(?:access|private|secret|signing|master|encryption|client|account|ssh)[_\-]?key|"
    r"session[_\-]?(?:id|key)|sessionid"
)
_SHORT_KEY_WORDS = r"pass|pwd|pw"  # only as a whole word or after a separator: not "bypass"
_KEY = (
    r"(?<![A-Za-z0-9_.\-])(?:"
    rf"[A-Za-z0-9_.\-]{{0,40}}?(?:{_KEY_WORDS})s?(?:[_.\-]?(?:value|string|base|hash))?"
    rf"|(?:[A-Za-z0-9]{{0,40}}[_.\-])?(?:{_SHORT_KEY_WORDS})"
    r")(?![A-Za-z0-9])"
)
_VALUE = (
    r"(?:(?:Bearer|Basic|Token|Digest|Negotiate)\s+[^\s,;&'\"]+"
    r"|'(?:[^'\\]|\\.){0,1024}'"
    r'|"(?:[^"\\]|\\.){0,1024}"'
    r"|[^\s,;&]+)"
)


def _mask_url_token(token: str) -> str:
    """Mask the password of the first ``scheme://user:password@`` in a whitespace-free token.

    The password runs to the token's last "@", so one containing "@" is masked
    whole. Done by hand rather than by a regex, whose backtracking would scan
    the rest of the token again from every "://" in it.
    """
    last_at = token.rfind("@")
    for start in _URL_START.finditer(token):
        if last_at < start.end():
            break
        user_end = _USER_END.search(token, start.end())
        if user_end is not None and user_end.group() == ":" and user_end.start() < last_at:
            return token[: user_end.end()] + MASK + token[last_at:]
    return token


def _mask_value(match: re.Match[str]) -> str:
    """Mask a key's value, keeping its quotes: ``"password": "***"``."""
    value = match.group("value")
    quote_char = value[0] if value[0] in "'\"" and value[-1] == value[0] and len(value) > 1 else ""
    return match.group(1) + quote_char + MASK + quote_char


_PATTERNS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    # A private key block, whole (its lines are joined by spaces by then).
    (
        re.compile(
            r"-----BEGIN[A-Z ]{0,20} PRIVATE KEY-----.*?"
            r"(?:-----END[A-Z ]{0,20} PRIVATE KEY-----|$)",
            re.DOTALL,
        ),
        "-----BEGIN PRIVATE KEY----- " + MASK + " -----END PRIVATE KEY-----",
    ),
    # HTTP authorization schemes: Bearer <token>, Basic <base64>.
    (re.compile(r"(?i)\b(Bearer\s+)[A-Za-z0-9._~+/=\-]+"), r"\1" + MASK),
    (re.compile(r"(?i)\b(Basic\s+)[A-Za-z0-9+/]{8,}={0,2}"), r"\1" + MASK),
    # Tokens recognisable by their shape alone: JWTs, GitHub, Slack, Stripe, Google, AWS key ids.
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*"), MASK),
    (
        re.compile(
            r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
            r"|xox[abposr]-[A-Za-z0-9\-]{10,}|[rs]k_(?:live|test)_[A-Za-z0-9]{10,}"
            r"|AIza[0-9A-Za-z_\-]{35}|(?:AKIA|ASIA)[A-Z0-9]{16})\b"
        ),
        MASK,
    ),
    # scheme://user:password@host, where the password may hold "@", "/", ":":
    # up to the last "@" of the URL (see _mask_url_token).
    (re.compile(r"(?<!\S)\S*?://\S*"), lambda m: _mask_url_token(m.group(0))),
    # libpq and psycopg echoing a piece of a connection string they could not
    # parse: a URL password with "@" read as a host, a keyword-form password
    # with a space, a stray "%" or a space in a URL password.
    (re.compile(r"(?i)(\bhost(?: name)?\s*[:=]?\s*['\"])[^'\"\s]*@"), r"\1" + MASK + "@"),
    (
        re.compile(
            r'(?i)((?:missing "=" after|percent-encoded (?:token|value):|unexpected spaces found in'
            r'|invalid integer value|invalid connection option|URI(?: query parameter)?:)\s*")'
            r'[^"]{0,1024}(")'
        ),
        r"\1" + MASK + r"\2",
    ),
    # key=value, key: value, "key": "value", 'key': 'value', key => value.
    (
        re.compile(rf"(?i)(['\"]?{_KEY}['\"]?\s*(?:=>|:=|=|:)\s*)(?P<value>{_VALUE})"),
        _mask_value,
    ),
    # Command-line flags: --password value.
    (
        re.compile(
            r"(?i)(?<![A-Za-z0-9_\-])(--?(?:password|passwd|pass|pwd|token|secret"
            r"|api-key|access-key|secret-key)\s+)[^\s'\"-][^\s'\"]*"
        ),
        r"\1" + MASK,
    ),
)
