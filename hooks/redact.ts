/**
 * Keeps secrets out of everything a hook writes: its log lines, the
 * deployer's thrown message (shown by `pulumi up`) and the deployer's result
 * (the `deployment` output, stored in plain-text Pulumi state).
 *
 * Error text comes from the app function (a check's exception, a function
 * error, an HTTP body): an older or unwrapped helper may echo a connection
 * string, a header or a driver message quoting part of a password. The hooks
 * cannot know the secret values, so they redact by pattern, after cutting the
 * text to MAX_TEXT_CHARS: every pattern is linear in its input (no nested or
 * overlapping quantifiers), and the cut bounds the work whatever the input.
 * Over-redaction is accepted; a leak is not.
 */

/** Longest text kept from one error, check message or body; the rest is cut before redacting. */
export const MAX_TEXT_CHARS = 2_000;

/** What replaces a secret. */
export const MASK = "***";

type Rule = [RegExp, string | ((match: string, ...groups: string[]) => string)];

/**
 * A key that names a secret, followed by `=` or `:` (with optional quotes and
 * spaces). Matched anywhere, not only at a word start, so `PGPASSWORD`,
 * `db_password`, `X-Api-Key`, `aws_secret_access_key` and `sessionToken` are
 * keys too. Bare `pass` only when no letter follows (`passed: 3` is no key).
 */
const KEY = String.raw`(?:passw(?:or)?d|passphrase|pwd|pass(?![a-z])|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|session[_-]?key|credentials?|authorization|signature)`;
/** The rest of the key's name (`_access_key`, `Token`), then its closing quote and the separator. */
const KEY_TAIL = String.raw`[a-z0-9_.-]{0,40}["']?\s*[:=]\s*`;
/**
 * The value: a quoted string (an unterminated one runs to the end, since the
 * text may have been cut inside it), or a run up to a delimiter. `b'…'` is a
 * Python bytes literal.
 */
const VALUE = String.raw`(?:b?"(?:[^"\\]|\\.)*(?:"|$)|b?'(?:[^'\\]|\\.)*(?:'|$)|[^\s,;&'"(){}\[\]<>]+)`;

const URL_RULE = /\b([a-z][a-z0-9+.-]{0,31}:\/\/[^\s/:@"'?#]*:)[^\s"']*@/gi;

const RULES: Rule[] = [
    // PEM private keys, whole (an unterminated block runs to the end).
    [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, `-----${MASK} PRIVATE KEY-----`],
    // HTTP authorization schemes, before the key rule would mask only the scheme name.
    [/\b(bearer|basic|digest)(\s+)[a-z0-9._~+/-]{6,}=*/gi, `$1$2${MASK}`],
    // scheme://user:secret@host; the secret may contain `@`, so it runs to the last `@` of the token.
    [URL_RULE, `$1${MASK}@`],
    // libpq echoes parts of a malformed connection string (a password with a space, `@` or `%`) in these messages.
    [
        /(missing "=" after |invalid integer value |unexpected spaces found in |invalid percent-encoded token: |invalid URI query parameter: |invalid connection option |invalid sslmode value: )"[^"\n]*(?:"|$)/gi,
        `$1"${MASK}"`,
    ],
    // A quoted host name holding `@` is the tail of a URL whose password held `@`
    // (libpq: could not translate host name "…"; psycopg: failed to resolve host '…').
    [/"[^"\s@]*@[^"\s]*"/g, `"${MASK}"`],
    [/'[^'\s@]*@[^'\s]*'/g, `'${MASK}'`],
    // Command-line flags: --password VALUE, -p is too short to tell apart.
    [/(^|\s)(--?(?:password|passwd|pass|pwd|token|secret|api-key|apikey|access-key|secret-key|client-secret|auth-token)[a-z-]*\s+)(['"]?)[^\s'"]+\3/gi, `$1$2$3${MASK}$3`],
    // Well-known token shapes, wherever they stand.
    [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, MASK],
    [/\beyJ[a-z0-9_-]{5,}\.[a-z0-9_-]{5,}\.[a-z0-9_-]*/gi, MASK],
    [/\b(?:gh[pousr]|github_pat)_[a-z0-9_]{16,}/gi, MASK],
    [/\bxox[abposr]-[a-z0-9-]{10,}/gi, MASK],
    [/\b[rs]k_(?:live|test)_[a-z0-9]{10,}/gi, MASK],
];

const KEY_VALUE = new RegExp(`(${KEY}${KEY_TAIL})(${VALUE})`, "gi");
const SEPARATOR_AHEAD = /\s*[:=]/y;

/**
 * key=value, key: value, "key": "value", {'key': 'value'}, Pwd=value;. When
 * what follows a key is itself a key (`NoCredentialsError: aws_secret_access_key
 * = …`), the search resumes there instead of masking the name and leaving
 * the value.
 */
function maskKeyValues(text: string): string {
    let out = "";
    let kept = 0;
    KEY_VALUE.lastIndex = 0;
    for (let m = KEY_VALUE.exec(text); m !== null; m = KEY_VALUE.exec(text)) {
        const valueStart = m.index + m[1]!.length;
        const value = m[2]!;
        const end = valueStart + value.length;
        SEPARATOR_AHEAD.lastIndex = end;
        if (!/^b?["']/.test(value) && SEPARATOR_AHEAD.test(text)) {
            KEY_VALUE.lastIndex = valueStart;
            continue;
        }
        const quote = /^b?(["'])/.exec(value)?.[1] ?? "";
        out += text.slice(kept, valueStart) + quote + MASK + quote;
        kept = end;
        KEY_VALUE.lastIndex = end;
    }
    return out + text.slice(kept);
}

/** A URL's userinfo cut off before its `@` by the length limit: the whole rest may be secret. */
const CUT_URL_TAIL = /\b([a-z][a-z0-9+.-]{0,31}:\/\/[^\s/:@"'?#]*:)[^\s"'@]*$/i;

/** Masks every secret the patterns know in `text`. `truncated` says that `text` was cut, so its end may be inside a secret. */
export function redact(text: string, truncated = false): string {
    let out = text;
    for (const [pattern, replacement] of RULES) {
        out = out.replace(pattern, replacement as string);
        // After the URL rule, so that `postgres://u:p@ss@h` is masked to its last `@` first.
        if (pattern === URL_RULE) out = maskKeyValues(out);
    }
    if (truncated) out = out.replace(CUT_URL_TAIL, `$1${MASK}`);
    return out;
}

/** Cuts `text` to `max` characters, then redacts it: the form in which any foreign text is logged, reported or thrown. */
export function safeText(text: string, max = MAX_TEXT_CHARS): string {
    if (text.length <= max) return redact(text);
    return `${redact(dropCutToken(text.slice(0, max)), true)}… (${text.length - max} more characters cut)`;
}

/** The last token of a cut text is cut too, perhaps inside a secret no pattern can recognise any more: drop it when it is short. */
const CUT_TOKEN_MAX = 200;

function dropCutToken(head: string): string {
    for (let i = head.length - 1; i >= 0 && i >= head.length - CUT_TOKEN_MAX; i--) {
        if (/\s/.test(head[i]!)) return head.slice(0, i + 1);
    }
    return head;
}

/** Field names whose values are never written, whatever they hold. */
const SECRET_FIELD = /passw(?:or)?d|passphrase|secret|token|api[_-]?key|credential|authorization/i;

export function isSecretField(name: string): boolean {
    return SECRET_FIELD.test(name);
}

/**
 * A deep copy of `value` with every string cut and redacted, and every field
 * named like a secret masked. Used on log records and on anything else written
 * out as JSON.
 */
export function redactDeep(value: unknown, depth = 0): unknown {
    if (typeof value === "string") return safeText(value);
    if (value === null || typeof value !== "object") return value;
    if (depth > 32) return "[nested too deep]";
    if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
    if (value instanceof Error) return safeText(value.message ? `${value.name}: ${value.message}` : value.name);
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
        // Only a plain value is masked: a check named `token` keeps its summary.
        out[key] = isSecretField(key) && (typeof v === "string" || typeof v === "number") ? MASK : redactDeep(v, depth + 1);
    }
    return out;
}
