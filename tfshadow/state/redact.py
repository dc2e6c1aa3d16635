"""The one place secrets are taken out of documents before anything is stored.

A sensitive value is replaced by a *seal*, a string that is safe to store, diff and show::

    tfshadow:sensitive:v1:fp:<16 hex>        keyed HMAC-SHA256 fingerprint: equal values give
                                             equal seals, so a change shows without the value
    tfshadow:sensitive:v1:enc:<base64url>.<key id>.<store key id>.<fingerprint>
                                             deterministic AES-SIV encryption (TFSHADOW_KEY set):
                                             equal values still give equal seals, and the value
                                             can be opened again with the key

The three fields after an encryption (8, 8 and 16 hex digits; seals written before them have
none) make a seal comparable without the key it was made with: the id of that key (a one-way
derivation of it, so a rotation is recognisable), the id of the store's own fingerprint key, and
the value's fingerprint under that key (what a fingerprint seal holds). So after TFSHADOW_KEY is
rotated, or read without it, a secret that did not change is told from one that did. The
fingerprint tells no more than a store without a key tells: it can be tried against guessed
values only with the store's fingerprint key, which never leaves the store's git directory.

Seals are deterministic on purpose: a re-recorded secret that did not change produces the same
seal, so it does not show up in the delta of every version.

What gets sealed in a canonical state (see :meth:`Redactor.redact_state`):

* every path Terraform lists in an instance's ``sensitive_attributes``;
* any other string in that instance equal to one of those values: providers echo sensitive
  input into unmarked computed attributes (``terraform_data.output`` is one);
* every attribute, at any depth, whose name matches :data:`SECRET_NAME`, unless the value is
  null, empty or a boolean (a flag such as ``manage_master_user_password`` is no secret);
* the value of every output marked ``sensitive``, and of every output whose name matches;
* every string holding a JSON document (a ``file()`` read or ``jsonencode``'d one, at any
  level of nesting in such strings) with a key whose name matches, whole; the values under such
  keys are then secrets found in this state, looked for as below;
* anywhere in the state, a string of :data:`MIN_KNOWN_LENGTH` characters or more whose seal is
  *known*: the seal of a value sealed elsewhere in the state, or of a secret variable's value
  (the caller passes those, from the configuration document and the versions before). A secret
  assigned to an attribute that is neither marked nor named like one is caught this way;
* anywhere in the state, a string that *contains* such a secret whose plain value is at hand
  (sealed in this state, given by the caller, or opened with TFSHADOW_KEY): a password
  interpolated into a connection URL, also written with JSON's escapes, once or nested (a
  ``jsonencode``'d document writes ``<`` as ``\\u003c``; see :func:`unescaped`). A fingerprint
  tells only whole values, so a secret known only by its fingerprint is found only as a whole
  value;
* every value at a place (instance and attribute path, or output) that the version before held
  sealed: a secret changed outside tfshadow comes with no variable to tell it by.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from tfshadow.errors import SecretError
from tfshadow.state import delta
from tfshadow.state.dynamic import is_dynamic

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV

SEAL_PREFIX = "tfshadow:sensitive:v1:"
_FP = SEAL_PREFIX + "fp:"
_ENC = SEAL_PREFIX + "enc:"
SEAL_PATTERN = (
    r"tfshadow:sensitive:v1:(?:fp:[0-9a-f]{16}"
    r"|enc:[A-Za-z0-9_-]+(?:\.[0-9a-f]{8}\.[0-9a-f]{8}\.[0-9a-f]{16})?)"
)
"""A seal string, as a regular expression (no groups)."""
_SEAL = re.compile(SEAL_PATTERN + r"\Z")
_SEAL_IN_TEXT = re.compile(SEAL_PATTERN)
_SEAL_IN_BYTES = re.compile(SEAL_PATTERN.encode())
# Seal strings in raw file contents, for callers that align a file with its sealed form.
SEAL_PATTERN_BYTES = _SEAL_IN_BYTES
# Shorter strings are not sealed for matching a known seal: "true", "admin" or a port number
# would then be sealed wherever they appear.
MIN_KNOWN_LENGTH = 6

_FINGERPRINT_INFO = b"tfshadow fingerprint key v1"
_ENCRYPTION_INFO = b"tfshadow aes-siv key v1"
_KEY_ID_INFO = b"tfshadow key id v1"
_STORE_KEY_ID = b"tfshadow store fingerprint key id v1"
# The ciphertext would otherwise reveal a secret's exact length; JSON ignores trailing blanks.
_PAD = 16

_SEP = r"[_\-. ]?"
_SECRET_TERMS = "|".join(
    [
        r"pass(?:word|wd|phrase)s?",
        r"pwd",
        r"secrets?",
        # Plurals hold several (`api_tokens`); EC2's `http_tokens` is a metadata setting.
        r"token|(?<!http)(?<!http[_\-. ])tokens",
        r"credentials?",
        rf"(?:private|api|access|secret|account|master|auth|raw|customer|signing|shared|client)"
        rf"{_SEP}keys?",
        # A backend block cannot use variables: pg's conn_str always spells its password out.
        rf"conn(?:ection)?{_SEP}str(?:ing)?",
    ]
)
_VALUE_SUFFIXES = (
    r"pem|openssh|pkcs8|json|value|string|text|b64|base64|raw|plaintext|data|hash|encoded|wo"
)
SECRET_NAME: re.Pattern[str] = re.compile(
    rf"(?:{_SECRET_TERMS})(?:{_SEP}(?:{_VALUE_SUFFIXES}))?\Z", re.IGNORECASE
)
"""Attribute and output names that obviously hold a secret. Use ``SECRET_NAME.search(name)``.

A name matches when it *ends* with a secret word (password, passwd, passphrase, pwd, secret,
token, credential, private/api/access/secret/account/master/auth/raw/customer/signing/shared/
client key, each also plural, connection string or conn_str), in any case and in snake, kebab,
dotted or camel form, optionally followed by a word saying it is the value in another encoding
(``_pem``, ``_json``, ``_value``, ``_string``, ``_data``, ``_hash``, ``_b64``, ``_wo``, …). So
``db_password``, ``apiToken``, ``api_tokens``, ``client_secret``, ``private_key_pem``,
``secret_string`` and ``AWS_SECRET_ACCESS_KEY`` match, while names that merely talk *about* a
secret do not: ``token_endpoint_url``, ``password_length``, ``secret_arn``, ``secret_id``,
``access_key_id`` (an identifier, not the key), ``public_key``, ``kms_key_id``, ``http_tokens``
(an EC2 metadata setting).
"""

_NAME_CACHE: dict[str, bool] = {}
_NAME_CACHE_LIMIT = 100_000


_FIELDS = r"(tfshadow:sensitive:v1:enc:[A-Za-z0-9_-]+)\.[0-9a-f]{8}\.[0-9a-f]{8}\.[0-9a-f]{16}"
_FIELDS_IN_TEXT = re.compile(_FIELDS)
_FIELDS_IN_BYTES = re.compile(_FIELDS.encode())


def seal_id(seal: str) -> str:
    """What tells a seal's value under its key: an encryption without the fields it carries
    (which depend on the copy of the store that wrote it, see the module's docstring). Seals
    of one value under one key have the same id."""
    return _FIELDS_IN_TEXT.sub(r"\1", seal)


def same_seal(a: str, b: str) -> bool:
    """Whether two seals were made of the same value under the same key."""
    return a == b or seal_id(a) == seal_id(b)


def without_seal_fields(data: bytes) -> bytes:
    """``data`` (a file in sealed form) with every seal written as its :func:`seal_id`: two
    files so written are equal when they hold the same values sealed under the same key."""
    if SEAL_PREFIX.encode() not in data:
        return data
    return _FIELDS_IN_BYTES.sub(rb"\1", data)


def is_sealed(value: object) -> bool:
    """Whether ``value`` is a seal string rather than a real value."""
    return isinstance(value, str) and value.startswith(SEAL_PREFIX) and bool(_SEAL.match(value))


def containing(secrets: Collection[str]) -> Callable[[str], bool] | None:
    """A test of whether a string contains one of ``secrets`` (those of
    :data:`MIN_KNOWN_LENGTH` characters or more), also written with JSON's escapes (see
    :func:`unescaped`), or None when there are none to look for.

    One compiled pattern (:func:`alternation`) tests all of them in a single pass over the
    string: states hold hundreds of thousands of strings, and a loop over the secrets for each
    would multiply that. Shorter values are left out as they are from whole-value matching: a
    4-character password is a substring of far too many innocent strings (``admin``,
    ``5432``, ``true``).
    """
    needles = {s for s in secrets if len(s) >= MIN_KNOWN_LENGTH}
    if not needles:
        return None
    search = alternation(needles).search

    def test(text: str) -> bool:
        if search(text) is not None:
            return True
        return "\\" in text and any(search(level) is not None for level in unescaped(text))

    return test


def alternation(words: Collection[str]) -> re.Pattern[str]:
    """A pattern matching any of ``words`` (not empty), the longest where several start at one
    place: the words as a trie (``s3cr(?:3t|et)``), which the regular expression engine tries
    a character at a time, where a plain alternation tries every word at every position."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    try:
        return re.compile(_trie_pattern(trie))
    except RecursionError:  # thousands of words nested in one another: a plain alternation
        return re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))


def _trie_pattern(node: dict[str, Any]) -> str:
    chain = ""
    # A run of single characters is written as is: a long secret nests nothing.
    while len(node) == 1 and "" not in node:
        (char, node), *_ = node.items()
        chain += re.escape(char)
    branches = [re.escape(char) + _trie_pattern(child) for char, child in node.items() if char]
    if not branches:
        return chain
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    if "" in node:  # a word ends here: the longer ones are tried first
        body = f"(?:{body})?"
    return chain + body


# JSON's escapes, which HCL's quoted strings share (and extend with \U): a secret inside a JSON
# document that a string holds (a jsonencode'd policy in the state, a .tf.json file, a JSON
# value inside one) is written with them, escaped once more at each level it is nested in.
_ESCAPE = (
    r"\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r"|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[\"\\/bfnrt])"
)
_ESCAPE_IN_TEXT = re.compile(_ESCAPE)
_ESCAPE_IN_BYTES = re.compile(_ESCAPE.encode())
_SHORT_ESCAPES = {
    f"\\{c}": v
    for c, v in {
        '"': '"',
        "\\": "\\",
        "/": "/",
        "b": "\b",
        "f": "\f",
        "n": "\n",
        "r": "\r",
        "t": "\t",
    }.items()
}
_SHORT_ESCAPES_BYTES = {k.encode(): v.encode() for k, v in _SHORT_ESCAPES.items()}
# Levels of nesting undone: a JSON document in a string of a JSON document in a .tf.json file.
_LEVELS = 3


def _escaped(sequence: str) -> str:
    """The character an escape sequence (of :data:`_ESCAPE`) stands for."""
    short = _SHORT_ESCAPES.get(sequence)
    if short is not None:
        return short
    if len(sequence) == 12:  # a surrogate pair
        high, low = int(sequence[2:6], 16), int(sequence[8:], 16)
        return chr(0x10000 + ((high - 0xD800) << 10) + low - 0xDC00)
    number = int(sequence[2:], 16)
    return chr(number) if number <= 0x10FFFF else "\ufffd"


def unescaped(text: str) -> Iterator[str]:
    """``text`` with JSON's escape sequences undone, once, then again, up to three levels while
    it holds any: where a secret nested in JSON documents is written as it is. Undone in text
    that is no JSON string too: finding a secret there seals too much, which is safe."""
    for _ in range(_LEVELS):
        if "\\" not in text:
            return
        text = _ESCAPE_IN_TEXT.sub(lambda m: _escaped(m.group()), text)
        yield text


def _unescape_bytes(data: bytes) -> bytes:
    """``data`` (UTF-8 text) with JSON's escape sequences undone once."""
    short = _SHORT_ESCAPES_BYTES.get

    def char(match: re.Match[bytes]) -> bytes:
        sequence = match.group()
        found = short(sequence)
        if found is not None:
            return found
        return _escaped(sequence.decode("ascii")).encode("utf-8", "surrogatepass")

    return _ESCAPE_IN_BYTES.sub(char, data)


def _hides(data: bytes, chars: Collection[str]) -> bool:
    """Whether undoing the escapes of ``data`` may bring out a string it does not hold as it is,
    made of ``chars``: it holds a ``\\u`` escape (any character), or one of a character among
    ``chars``. A state holds ``\\"`` in every JSON document it keeps in a string; a password
    seldom holds a quote, so the text is seldom searched again."""
    if b"\\" not in data:
        return False
    if b"\\u" in data or b"\\U" in data:
        return True
    return any(
        char.decode() in chars and sequence in data
        for sequence, char in _SHORT_ESCAPES_BYTES.items()
    )


def occurring(secrets: Collection[str], data: bytes) -> set[str]:
    """Those of ``secrets`` (of :data:`MIN_KNOWN_LENGTH` characters or more) that occur in
    ``data`` (a document serialised by :func:`delta.dumps`): written JSON-escaped, as strings
    are there, or as they are once that escaping is undone, once or more (:func:`unescaped`: a
    secret in a JSON document that a string holds, or written with ``\\u`` escapes).

    A state of 10,000 instances serialises to ~15 MB and may hold hundreds of sealed passwords:
    no search of each through it, nor a regular expression of all of them, is fast enough; see
    :func:`_found` for the one pass that is.
    """
    forms: dict[bytes, set[str]] = {}
    for secret in secrets:
        if len(secret) >= MIN_KNOWN_LENGTH:
            for form in {delta.dumps(secret)[1:-1], secret.encode("utf-8", "surrogatepass")}:
                forms.setdefault(form, set()).add(secret)
    found = _found(forms.keys(), data) if forms else set()
    for _ in range(_LEVELS):
        rest = forms.keys() - found
        if not rest or not _hides(data, {c for form in rest for s in forms[form] for c in s}):
            break
        data = _unescape_bytes(data)
        found |= _found(rest, data)
    return {secret for form in found for secret in forms[form]}


# A few needles, or a short text, are searched one needle at a time (each a C-level scan of
# ~1 GB/s); more in one pass, which costs numpy's import (~60 ms) and ~10 ms a megabyte.
_FEW = 4
_FEW_BYTES = 1 << 26  # needles times bytes of text
_KEY = 6  # bytes of each needle that the pass looks up (no needle is shorter)
_TABLE_BITS = 20
_BLOCK = 1 << 20


def _found(needles: Collection[bytes], data: bytes) -> set[bytes]:
    """Those of ``needles`` (of :data:`_KEY` bytes or more) that occur in ``data``.

    One pass, whatever the number of needles: the text's 6-byte windows, read as integers
    eight alignments at a time with numpy, are hashed into a table of the needles' first six
    bytes; only the few positions that hit are compared in Python. So hundreds of short
    passwords cost what one does (a regular expression of them, trie or not, still tries each
    branch at every position). After each block of text the needles found are taken out of
    the table: one that occurs everywhere is not compared everywhere.
    """
    if len(needles) <= _FEW or len(needles) * len(data) <= _FEW_BYTES:
        return {needle for needle in needles if needle in data}
    import numpy as np

    by_key: dict[int, list[bytes]] = {}
    for needle in needles:
        by_key.setdefault(int.from_bytes(needle[:_KEY], "little"), []).append(needle)
    multiplier = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the top bits mix all
    shift = np.uint64(64 - _TABLE_BITS)
    mask = np.uint64((1 << (8 * _KEY)) - 1)

    def table() -> Any:
        keys = np.fromiter(by_key, dtype=np.uint64, count=len(by_key))
        hit = np.zeros(1 << _TABLE_BITS, dtype=bool)
        hit[(keys * multiplier) >> shift] = True
        return hit

    hits, found = table(), set[bytes]()
    padded = data + bytes(8)  # every window reads eight bytes
    for block in range(0, len(data) - _KEY + 1, _BLOCK):
        stop = min(block + _BLOCK, len(data) - _KEY + 1)
        before = len(found)
        for start in range(block, min(block + 8, stop)):
            windows = np.frombuffer(
                padded, dtype="<u8", count=(stop - start + 7) // 8, offset=start
            )
            for i in np.flatnonzero(hits[((windows & mask) * multiplier) >> shift]).tolist():
                at = start + 8 * i
                for needle in by_key.get(int.from_bytes(data[at : at + _KEY], "little"), ()):
                    if needle not in found and data.startswith(needle, at):
                        found.add(needle)
        if len(found) > before:
            by_key = {
                key: rest
                for key, owners in by_key.items()
                if (rest := [n for n in owners if n not in found])
            }
            if not by_key:
                break
            hits = table()
    return found


def is_secret_name(name: str) -> bool:
    """``SECRET_NAME.search(name)``, memoised: schemas repeat the same few hundred names."""
    hit = _NAME_CACHE.get(name)
    if hit is None:
        hit = SECRET_NAME.search(name) is not None
        if len(_NAME_CACHE) >= _NAME_CACHE_LIMIT:
            _NAME_CACHE.clear()
        _NAME_CACHE[name] = hit
    return hit


def fingerprint_key_from(encryption_key: str) -> bytes:
    """The fingerprint key derived from TFSHADOW_KEY, so fingerprints agree across machines."""
    return _hkdf(encryption_key, 32, _FINGERPRINT_INFO)


def key_id(encryption_key: str) -> str:
    """A short id of TFSHADOW_KEY (8 hex digits): tells two keys apart, and tells nothing of
    either (a one-way derivation, as the encryption key is)."""
    return _hkdf(encryption_key, 4, _KEY_ID_INFO).hex()


def _hkdf(secret: str, length: int, info: bytes) -> bytes:
    # cryptography is imported only where keys are used: reading history needs only is_sealed.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(
        secret.encode("utf-8")
    )


class Redactor:
    """Seals and opens sensitive values with one set of keys.

    ``fingerprint_key`` keys the HMAC of fingerprint seals; ``encryption_key`` (the value of
    TFSHADOW_KEY), when given, makes :meth:`seal` encrypt instead, and lets :meth:`unseal` open
    encrypted seals; ``store_key`` (the store's own fingerprint key), when given, makes each
    encryption carry the value's fingerprint under it, for :func:`matching_seals`.
    """

    def __init__(
        self,
        fingerprint_key: bytes,
        encryption_key: str | None = None,
        store_key: bytes | None = None,
    ) -> None:
        if not fingerprint_key:
            raise ValueError("the fingerprint key must not be empty")
        self._fingerprint_key = bytes(fingerprint_key)
        self._siv: AESSIV | None = None
        self._key_id: str | None = None
        if encryption_key:
            from cryptography.hazmat.primitives.ciphers.aead import AESSIV

            self._siv = AESSIV(_hkdf(encryption_key, 64, _ENCRYPTION_INFO))
            self._key_id = key_id(encryption_key)
        # The store's own fingerprint key: encryptions carry the value's fingerprint under it,
        # which no change of TFSHADOW_KEY changes.
        self._store_key = bytes(store_key) if store_key else None
        self._store_key_id = (
            hmac.new(self._store_key, _STORE_KEY_ID, hashlib.sha256).hexdigest()[:8]
            if self._store_key
            else None
        )

    def __repr__(self) -> str:
        return f"Redactor(encrypts={self.encrypts})"

    @property
    def encrypts(self) -> bool:
        """Whether seals made by this redactor can be opened again (TFSHADOW_KEY is set)."""
        return self._siv is not None

    def seal(self, value: Any) -> str:
        """The seal string for ``value`` (any JSON value). Equal values give equal seals."""
        if self._siv is None:
            return self.fingerprint(value)
        data = delta.dumps(value)
        padded = data + b" " * (-len(data) % _PAD)
        token = base64.urlsafe_b64encode(self._siv.encrypt(padded, None)).rstrip(b"=")
        if self._store_key is None:
            return _ENC + token.decode("ascii")
        digest = hmac.new(self._store_key, data, hashlib.sha256).hexdigest()[:16]
        return f"{_ENC}{token.decode('ascii')}.{self._key_id}.{self._store_key_id}.{digest}"

    @property
    def key_id(self) -> str | None:
        """The id of TFSHADOW_KEY (:func:`key_id`), None without it."""
        return self._key_id

    @property
    def store_key_id(self) -> str | None:
        """The id of the store's fingerprint key given, None without one."""
        return self._store_key_id

    def fingerprint(self, value: Any) -> str:
        """The fingerprint seal of ``value``, also when this redactor encrypts."""
        digest = hmac.new(self._fingerprint_key, delta.dumps(value), hashlib.sha256).hexdigest()
        return _FP + digest[:16]

    def store_fingerprint(self, value: Any) -> str:
        """The fingerprint (16 hex digits) of ``value`` under the store's fingerprint key, as
        encryptions carry it; ValueError when this redactor was given no store key."""
        if self._store_key is None:
            raise ValueError("no store fingerprint key")
        return hmac.new(self._store_key, delta.dumps(value), hashlib.sha256).hexdigest()[:16]

    def unseal(self, sealed: str) -> Any:
        """The value an encrypted seal stands for.

        Raises :class:`~tfshadow.errors.SecretError` for a fingerprint (it holds no value), or
        when TFSHADOW_KEY is missing or is not the key the value was sealed with.
        """
        if not is_sealed(sealed):
            raise SecretError(
                "not a sealed value", hint="only tfshadow:sensitive:v1:… strings can be opened"
            )
        if sealed.startswith(_FP):
            raise SecretError(
                "a fingerprinted secret cannot be opened",
                hint="it was recorded without TFSHADOW_KEY, so only its fingerprint was stored",
            )
        if self._siv is None:
            raise SecretError(
                "a sealed secret needs TFSHADOW_KEY to be opened",
                hint="set TFSHADOW_KEY to the key used when this version was recorded",
            )
        from cryptography.exceptions import InvalidTag

        token = sealed[len(_ENC) :].split(".", 1)[0]
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            data = self._siv.decrypt(raw, None)
        except (InvalidTag, binascii.Error, ValueError):
            raise SecretError(
                "a sealed secret cannot be opened with this TFSHADOW_KEY",
                hint="set TFSHADOW_KEY to the key used when this version was recorded",
            ) from None
        return delta.loads(data)

    def known_value(self, known: Collection[str]) -> Callable[[str], bool]:
        """A test of whether a string is the value one of the ``known`` seals stands for (a
        version's seals), or contains a value one of them opens to: opened with TFSHADOW_KEY,
        or compared by the fingerprint under the store's own key that fingerprint seals are and
        encryptions carry (which tells whole values only). Strings shorter than
        :data:`MIN_KNOWN_LENGTH` never are."""
        plain: set[str] = set()
        digests: set[str] = set()
        for seal in known:
            if seal.startswith(_FP):
                digests.add(seal[len(_FP) :])
                continue
            if self.encrypts:
                with contextlib.suppress(SecretError):
                    value = self.unseal(seal)
                    if isinstance(value, str):
                        plain.add(value)
            fields = seal[len(_ENC) :].split(".")
            if len(fields) == 4:
                digests.add(fields[3])
        # Without TFSHADOW_KEY the fingerprint key is the store's own.
        fingerprint: Callable[[str], str] | None = (
            self.store_fingerprint
            if self._store_key is not None
            else None
            if self.encrypts
            else lambda text: self.fingerprint(text)[len(_FP) :]
        )

        contains = containing(plain)

        def test(text: str) -> bool:
            if len(text) < MIN_KNOWN_LENGTH or text.startswith(SEAL_PREFIX):
                return False
            if text in plain or (contains is not None and contains(text)):
                return True
            return bool(digests) and fingerprint is not None and fingerprint(text) in digests

        return test

    def seal_unless_sealed(self, value: Any) -> Any:
        """``value`` sealed, or unchanged when it is null or already a seal."""
        if value is None or is_sealed(value):
            return value
        return self.seal(value)

    def redact_state(
        self,
        canonical: Mapping[str, Any],
        known: Collection[str] = (),
        secrets: set[str] | None = None,
        previous: Mapping[str, Any] | None = None,
        given: Collection[str] = (),
    ) -> dict[str, Any]:
        """A copy of a canonical state with every sensitive value sealed.

        ``known``: seal strings of secrets known from elsewhere (:func:`seals_in` of the
        configuration document and of the version before). Any string of the state whose seal
        is known, or equal to a value sealed elsewhere in the state, is sealed too. The input is
        not modified. Instances with nothing to seal are shared with it, not copied. Running it
        again on its own output (with the same ``known``) changes nothing.

        ``given``: secrets known in plain from elsewhere (the values the configuration document
        seals). Any string of the state that contains one of them, or a value sealed elsewhere
        in the state or opened from ``known``, is sealed whole.

        ``secrets``, when given, receives the strings of :data:`MIN_KNOWN_LENGTH` characters or
        more that were sealed, in plain: the configuration may hold them too.

        ``previous``, the sealed state of the version before: values where it holds a seal are
        sealed too.
        """
        found: set[str] = set()
        out = self._redact_marked(canonical, found)
        if previous is not None:
            out = self._seal_where_sealed(out, previous, found)
        plain = {p for p in found if len(p) >= MIN_KNOWN_LENGTH}
        plain.update(p for p in given if isinstance(p, str) and len(p) >= MIN_KNOWN_LENGTH)
        if secrets is not None:
            secrets.update(plain)
        # Values held in plain are compared as such; only seals whose value is not held here
        # need every string of the state sealed to be compared (a fingerprint cannot be opened).
        unresolved = set(known) - {self.seal(p) for p in plain}
        for seal in list(unresolved):
            if seal.startswith(_ENC) and self.encrypts:
                with contextlib.suppress(SecretError):
                    value = self.unseal(seal)
                    if isinstance(value, str) and len(value) >= MIN_KNOWN_LENGTH:
                        plain.add(value)
                unresolved.discard(seal)
            elif not seal.startswith(_FP) or self.encrypts:
                unresolved.discard(seal)  # sealed under another key: it cannot match here
        if not plain and not unresolved:
            return out
        return self._seal_known(out, frozenset(plain), frozenset(unresolved))

    def _seal_known(
        self, doc: dict[str, Any], plain: frozenset[str], seals: frozenset[str]
    ) -> dict[str, Any]:
        verdicts: dict[str, str | None] = {}
        # Most secrets occur nowhere but where they were sealed: only those the document holds
        # somewhere are searched for in each of its strings.
        contains = containing(occurring(plain, delta.dumps(doc)))

        def known(text: str) -> str | None:
            if len(text) < MIN_KNOWN_LENGTH or text.startswith(SEAL_PREFIX):
                return None
            if text not in verdicts:
                held = text in plain or (contains is not None and contains(text))
                sealed = self.seal(text) if held or seals else None
                verdicts[text] = sealed if held or sealed in seals else None
            return verdicts[text]

        out = dict(doc)
        resources = doc.get("resources")
        if isinstance(resources, Mapping):
            out["resources"] = {
                address: _seal_attributes(entry, known) for address, entry in resources.items()
            }
        outputs = doc.get("outputs")
        if isinstance(outputs, Mapping):
            out["outputs"] = {name: _seal_output(output, known) for name, output in outputs.items()}
        return out

    def _seal_where_sealed(
        self, doc: dict[str, Any], previous: Mapping[str, Any], found: set[str]
    ) -> dict[str, Any]:
        secrets: list[Any] = []
        out = dict(doc)
        for key, inner in (("resources", "attributes"), ("outputs", "value")):
            now, before = doc.get(key), previous.get(key)
            if not isinstance(now, Mapping) or not isinstance(before, Mapping):
                continue
            changed: dict[str, Any] | None = None
            for name, entry in now.items():
                old = before.get(name)
                if not (isinstance(entry, Mapping) and isinstance(old, Mapping)):
                    continue
                if inner not in entry or _SEAL_PREFIX_BYTES not in delta.dumps(old.get(inner)):
                    continue
                value = _seal_like(entry[inner], old.get(inner), self.seal, secrets)
                if value is not entry[inner]:
                    if changed is None:
                        changed = dict(now)
                    changed[name] = {**entry, inner: value}
            if changed is not None:
                out[key] = changed
        found.update(s for secret in secrets for s in _strings(secret))
        return out

    def _redact_marked(self, canonical: Mapping[str, Any], found: set[str]) -> dict[str, Any]:
        """Sealed: what is marked sensitive or named like a secret; the strings sealed are added
        to ``found``."""
        out = dict(canonical)
        resources = canonical.get("resources")
        if isinstance(resources, Mapping):
            new_resources: dict[str, Any] = {}
            for address, entry in resources.items():
                new_resources[address] = (
                    self._redact_instance(entry, found) if isinstance(entry, Mapping) else entry
                )
            out["resources"] = new_resources
        outputs = canonical.get("outputs")
        if isinstance(outputs, Mapping):
            out["outputs"] = {
                name: self._redact_output(name, output, found) for name, output in outputs.items()
            }
        return out

    def _redact_output(self, name: str, output: Any, found: set[str]) -> Any:
        if not isinstance(output, Mapping) or "value" not in output:
            return output
        value = output["value"]
        secrets: list[Any] = []
        if output.get("sensitive") is True or is_secret_name(name):
            sealed = self.seal_unless_sealed(value)
            if sealed is not value:
                secrets.append(value)
        else:
            sealed = _seal_names(value, self.seal, secrets)
            held = _named_in_documents(sealed)
            if held:
                secrets.extend(held)
                sealed = _seal_strings(
                    sealed, lambda s: self.seal(s) if s in held else None, root=True
                )
        found.update(s for secret in secrets for s in _strings(secret))
        if sealed is value:
            return output
        return {**output, "value": sealed}

    def _redact_instance(self, entry: Mapping[str, Any], found: set[str]) -> Any:
        out: dict[str, Any] | None = None
        attrs = entry.get("attributes")
        if isinstance(attrs, dict):
            secrets: list[Any] = []
            new_attrs = attrs
            for path in entry.get("sensitive_attributes") or ():
                # Paths start at an attribute; `attributes` itself must stay an object.
                key = _step_key(path[0]) if isinstance(path, list) and path else None
                if isinstance(key, str) and key in new_attrs:
                    inner = _seal_path(new_attrs[key], path[1:], self.seal, secrets)
                    if inner is not new_attrs[key]:
                        new_attrs = {**new_attrs, key: inner}
            new_attrs = _seal_keys(new_attrs, self.seal, secrets)
            secrets.extend(_named_in_documents(list(new_attrs.values())))
            if secrets:
                echoes = {s for value in secrets for s in _strings(value) if s.strip()}
                found.update(echoes)
                if echoes:
                    new_attrs = _seal_strings(
                        new_attrs, lambda s: self.seal(s) if s in echoes else None, root=True
                    )
            if new_attrs is not attrs:
                out = {**entry, "attributes": new_attrs}
        # Objects written by Terraform 0.11 and never refreshed since keep flat string maps
        # ("tags.%", "password"): only names can tell what is secret there.
        flat = entry.get("attributes_flat")
        if isinstance(flat, dict):
            new_flat = _seal_keys(flat, self.seal, [])
            if new_flat is not flat:
                out = {**(out or entry), "attributes_flat": new_flat}
        return entry if out is None else out


def unseal_document(doc: Any, redactor: Redactor) -> Any:
    """``doc`` with every encrypted seal replaced by its value (the input is not modified).

    Raises :class:`~tfshadow.errors.SecretError` when fingerprint seals remain: their values
    were never stored. The message counts them and names the first one's place, never a value.
    """
    fingerprints: list[str] = []
    out = _unseal(doc, redactor, (), fingerprints)
    if fingerprints:
        count = len(fingerprints)
        raise SecretError(
            f"{count} secret{'s' if count != 1 else ''} recorded only as a fingerprint"
            f" (first: {fingerprints[0]}) cannot be restored",
            hint="only versions recorded with TFSHADOW_KEY set can be written back with their "
            "secrets; revert without --state-only and supply these values as variables",
        )
    return out


# -- walking ---------------------------------------------------------------------------------

_Seal = Callable[[Any], str]


def _seal_path(node: Any, path: list[Any], seal: _Seal, secrets: list[Any]) -> Any:
    """``node`` with the value at a Terraform path sealed, copying only along the path.

    A path that cannot be followed to its end (a set element, an unknown step) seals the deepest
    value it reaches: sealing too much is safe, sealing too little is not. A path into nothing
    (a missing key, an index past the end, a null) seals nothing, as there is no value there.
    """
    if not path:
        if node is None or is_sealed(node):
            return node
        secrets.append(node)
        return seal(node)
    if isinstance(node, dict):
        key = _step_key(path[0])
        if isinstance(key, str):
            if is_dynamic(node) and key in ("value", "type"):
                # An object with attributes `value` and `type`, or a dynamic value's wrapper:
                # the step is ambiguous, so seal the whole of it.
                return _seal_path(node, [], seal, secrets)
            if key not in node and is_dynamic(node):
                # Values of dynamic type are stored as {"value": …, "type": …}.
                inner = _seal_path(node["value"], path, seal, secrets)
                return node if inner is node["value"] else {**node, "value": inner}
            if key not in node:
                return node
            inner = _seal_path(node[key], path[1:], seal, secrets)
            return node if inner is node[key] else {**node, key: inner}
        return _seal_path(node, [], seal, secrets)
    if isinstance(node, list):
        key = _step_key(path[0])
        if isinstance(key, int) and not isinstance(key, bool):
            if not 0 <= key < len(node):
                return node
            inner = _seal_path(node[key], path[1:], seal, secrets)
            if inner is node[key]:
                return node
            copy = list(node)
            copy[key] = inner
            return copy
        return _seal_path(node, [], seal, secrets)
    if node is None:
        return node
    return _seal_path(node, [], seal, secrets)


def _step_key(step: Any) -> Any:
    # {"type": "get_attr", "value": "x"} or {"type": "index", "value": {"value": 0, "type": …}}
    if not isinstance(step, Mapping):
        return None
    kind = step.get("type")
    if kind == "get_attr":
        return step.get("value")
    if kind == "index":
        key = step.get("value")
        if isinstance(key, Mapping):
            value = key.get("value")
            if isinstance(value, float) and value.is_integer():
                return int(value)
            return value
    return None


def _seal_names(node: Any, seal: _Seal, secrets: list[Any]) -> Any:
    """``node`` with every value under a secret-looking key sealed; unchanged parts shared.

    With :func:`_seal_keys` this visits every value of every instance, so both are written for
    speed: exact type checks (documents come from JSON) and the name cache read inline.
    """
    kind = type(node)
    if kind is dict:
        if len(node) == 2 and "value" in node and is_dynamic(node):
            # The type half names attributes but holds no values.
            inner = _seal_names(node["value"], seal, secrets)
            return node if inner is node["value"] else {**node, "value": inner}
        return _seal_keys(node, seal, secrets)
    if kind is list:
        copy: list[Any] | None = None
        for i, value in enumerate(node):
            kind = type(value)
            if kind is dict or kind is list:
                new = _seal_names(value, seal, secrets)
                if new is not value:
                    if copy is None:
                        copy = list(node)
                    copy[i] = new
        return node if copy is None else copy
    return node


def _seal_keys(node: dict[str, Any], seal: _Seal, secrets: list[Any]) -> dict[str, Any]:
    """The object ``node`` with the values of its secret-looking keys sealed, at any depth."""
    cache = _NAME_CACHE
    changed: dict[str, Any] | None = None
    for key, value in node.items():
        kind = type(value)
        hit = cache.get(key)
        if hit is None:
            hit = is_secret_name(key)
        if kind is dict or kind is list:
            if not hit:
                new: Any = _seal_names(value, seal, secrets)
                if new is value:
                    continue
            elif value:
                new = seal(value)
                secrets.append(value)
            else:
                continue
        elif not hit or value is None or kind is bool or value == "" or is_sealed(value):
            continue
        else:
            new = seal(value)
            secrets.append(value)
        if changed is None:
            changed = dict(node)
        changed[key] = new
    return node if changed is None else changed


def _seal_like(node: Any, before: Any, seal: _Seal, secrets: list[Any]) -> Any:
    """``node`` with every value sealed where ``before`` (the same place, a version earlier)
    holds a seal; unchanged parts shared."""
    if is_sealed(before):
        if node is None or is_sealed(node):
            return node
        secrets.append(node)
        return seal(node)
    if isinstance(node, dict) and isinstance(before, dict):
        changed: dict[str, Any] | None = None
        for key, value in node.items():
            if key in before:
                new = _seal_like(value, before[key], seal, secrets)
                if new is not value:
                    if changed is None:
                        changed = dict(node)
                    changed[key] = new
        return node if changed is None else changed
    if isinstance(node, list) and isinstance(before, list):
        copy: list[Any] | None = None
        for i, (value, old) in enumerate(zip(node, before, strict=False)):
            new = _seal_like(value, old, seal, secrets)
            if new is not value:
                if copy is None:
                    copy = list(node)
                copy[i] = new
        return node if copy is None else copy
    return node


# A JSON document in a string is looked into only when it may name a secret: parsing every
# policy of a large state at every recording would cost more than the rest of the redaction.
# A key that may match SECRET_NAME holds one of these words, then its closing quote (escaped in
# a document nested in a string) and a colon: a word in a value (an ARN's `key/*`) is not one.
_SECRET_WORDS = ("pass", "pwd", "secret", "token", "key", "credential", "conn")
_KEY_END = re.compile(r'[^"\\]{0,200}\\*"\s*:')
_DOCUMENT_START = re.compile(r"\s*[\[{]")


def _may_name_secret(text: str) -> bool:
    """Whether the JSON text ``text`` may have a key named like a secret (str.find is far
    quicker than a regular expression of alternatives over a document of megabytes)."""
    lower = text.lower()
    for word in _SECRET_WORDS:
        at = lower.find(word)
        while at >= 0:
            if _KEY_END.match(lower, at + len(word)):
                return True
            at = lower.find(word, at + 1)
    return False


def _named_in_documents(value: Any) -> list[str]:
    """The strings in ``value`` that hold a JSON document (a ``jsonencode``'d or ``file()``
    read configuration) with a key named like a secret, each followed by the strings under
    such keys: the document is sealed whole, as a string containing a secret is, and the values
    are then looked for elsewhere in the state. Documents nested in strings of documents are
    looked into too, up to :data:`_LEVELS` deep."""
    found: list[str] = []
    for text in _strings(value):
        held = _named_in_document(text, _LEVELS)
        if held:
            found.append(text)
            found.extend(held)
    return found


def _named_in_document(text: str, levels: int) -> list[str]:
    if (
        levels <= 0
        or _DOCUMENT_START.match(text) is None
        or is_sealed(text)
        or not _may_name_secret(text)
    ):
        return []
    try:
        doc = json.loads(text)
    except ValueError:
        return []
    held: list[str] = []
    _named_values(doc, held, levels)
    return held


def _named_values(node: Any, held: list[str], levels: int) -> None:
    """Add to ``held`` the strings under secret-named keys of the parsed document ``node`` (as
    :func:`_seal_keys` judges them: null, empty and boolean values are no secret), and those of
    the documents its other strings hold."""
    if isinstance(node, dict):
        for key, value in node.items():
            if is_secret_name(str(key)) and value not in (None, "") and type(value) is not bool:
                held.extend(s for s in strings_in(value) if s)
            else:
                _named_values(value, held, levels)
    elif isinstance(node, list):
        for item in node:
            _named_values(item, held, levels)
    elif isinstance(node, str):
        inner = _named_in_document(node, levels - 1)
        if inner:
            held.append(node)
            held.extend(inner)


def strings_in(value: Any) -> list[str]:
    """Every string of a parsed JSON value, at any depth (a number is no string another
    attribute echoes)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for item in value.values() for s in strings_in(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


def _strings(value: Any) -> list[str]:
    """The strings inside a sealed value, the type half of dynamic wrappers left out."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        items = [value["value"]] if is_dynamic(value) else list(value.values())
        return [s for item in items for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def seals_in(doc: Any) -> frozenset[str]:
    """Every seal string in ``doc``, also inside longer strings (a configuration file's lines)."""
    # One scan of the serialised document: a Python walk of a large state's strings is slower.
    return frozenset(m.decode("ascii") for m in _SEAL_IN_BYTES.findall(delta.dumps(doc)))


def seals_in_bytes(*parts: bytes) -> frozenset[str]:
    """:func:`seals_in` of documents given as their canonical bytes (``delta.dumps``): the
    same seals, without serialising the documents again."""
    return frozenset(m.decode("ascii") for part in parts for m in _SEAL_IN_BYTES.findall(part))


def matching_seals(
    before: Collection[str], after: Collection[str], redactor: Redactor | None
) -> dict[str, str]:
    """Seals of ``before`` mapped to the differing seal of ``after`` that stands for the same
    value.

    Two seals stand for the same value when they share an identity (:func:`_identities`): the
    same encryption (one key, one value), or the same fingerprint under the same fingerprint
    key. So a fingerprint matches the encryption of its value (a store that got TFSHADOW_KEY
    later), and two encryptions under different keys match through the fingerprints they
    carry (a rotated key), without either key. ``redactor`` (:meth:`Project.seal_matcher`)
    holds the store's fingerprint key, and TFSHADOW_KEY when it is set: it opens encryptions
    written before they carried fingerprints.
    """
    before, after = frozenset(before), frozenset(after)
    only_after = after - before
    if not only_after:
        return {}
    holder: dict[tuple[str, str, str], str] = {}
    for seal in sorted(only_after):
        for identity in _identities(seal, redactor):
            holder.setdefault(identity, seal)
    matched: dict[str, str] = {}
    for seal in before - after:
        for identity in _identities(seal, redactor):
            if identity in holder:
                matched[seal] = holder[identity]
                break
    return matched


def align_seals(
    before: tuple[Any, ...], after: tuple[Any, ...], redactor: Redactor | None
) -> tuple[Any, ...]:
    """The documents ``before`` (a version's state and configuration) with each seal that
    stands for the same value as a differing seal of ``after`` written as that seal, so that
    comparing them shows no change of a secret that only changed seal (see
    :func:`matching_seals`)."""
    matched = matching_seals(seals_in(before), seals_in(after), redactor)
    return tuple(replace_seals(doc, matched) for doc in before)


def sealed_apart(
    before: Collection[str], after: Collection[str], redactor: Redactor | None
) -> bool:
    """Whether some of two versions' differing seals (``before`` and ``after``: each version's
    seals, aligned by :func:`align_seals`) cannot be compared, so that whether those secrets
    changed cannot be told: a seal of one version shares no way of comparing (a key or a
    fingerprint key, see :func:`_identities`) with any differing seal of the other. So it is
    for encryptions written before they carried fingerprints, under a key not at hand, against
    those of another key, and for fingerprints made under another store's fingerprint key.

    Encryptions without fingerprints that all stay closed are taken to share their key:
    nothing tells otherwise.
    """
    before, after = frozenset(before), frozenset(after)
    only_before, only_after = before - after, after - before
    if not only_before or not only_after:
        return False
    spaces_before = [_spaces(s, redactor) for s in only_before]
    spaces_after = [_spaces(s, redactor) for s in only_after]
    all_before = set().union(*spaces_before)
    all_after = set().union(*spaces_after)
    return any(not spaces & all_after for spaces in spaces_before) or any(
        not spaces & all_before for spaces in spaces_after
    )


def _spaces(seal: str, redactor: Redactor | None) -> set[tuple[str, str]]:
    # Two ciphertexts that differ tell nothing unless the key is known to be the same.
    return {i[:2] for i in _identities(seal, redactor) if i[0] != "ct"}


_HERE = "here"  # the fingerprint key of this store, when its id is not known
_UNKNOWN_KEY = "?"  # the key of an encryption without a key id that does not open here


def _identities(seal: str, redactor: Redactor | None) -> list[tuple[str, str, str]]:
    """``(kind, key id, value id)`` triples; seals that share one stand for the same value, and
    seals that share a ``(kind, key id)`` but no triple stand for different values.

    ``("enc", key id, ciphertext)``: the encryption itself, deterministic under one key.
    ``("fp", fingerprint key id, fingerprint)``: a fingerprint seal (made under this store's
    fingerprint key, as every reader of one takes it), the fingerprint an encryption carries,
    or, for one that carries none but opens with ``redactor``, its value fingerprinted here.
    """
    here = (redactor.store_key_id if redactor is not None else None) or _HERE
    if seal.startswith(_FP):
        return [("fp", here, seal[len(_FP) :])]
    token, *fields = seal[len(_ENC) :].split(".")
    # The same ciphertext is the same value under the same key, whichever key.
    same = ("ct", "", token)
    if len(fields) == 3:
        kid, store_kid, digest = fields
        return [same, ("enc", kid, token), ("fp", store_kid, digest)]
    if redactor is not None and redactor.encrypts:
        try:
            value = redactor.unseal(seal)
        except SecretError:
            pass
        else:
            # Fingerprinted as this store fingerprints (its own key, else the redactor's).
            digest = (
                redactor.store_fingerprint(value)
                if redactor.store_key_id is not None
                else redactor.fingerprint(value)[len(_FP) :]
            )
            return [same, ("enc", redactor.key_id or _UNKNOWN_KEY, token), ("fp", here, digest)]
    return [same, ("enc", _UNKNOWN_KEY, token)]


def keep_seals(docs: tuple[Any, ...], before: Collection[str]) -> tuple[Any, ...]:
    """``docs`` (a new version's state and configuration) with each encryption written as the
    one of ``before`` (the version before's seals) that differs only in the fingerprint it
    carries: the same key sealed the same value, and another copy of the store (another
    fingerprint key, a CI runner's fresh clone) wrote the one before. Unchanged secrets then
    keep their seal strings from version to version."""
    by_token: dict[str, str] = {}
    for seal in before:
        if seal.startswith(_ENC) and seal.count(".") == 3:
            by_token[seal[len(_ENC) :].split(".", 1)[0]] = seal
    if not by_token:
        return docs
    kept: dict[str, str] = {}
    for seal in seals_in(docs):
        if seal.startswith(_ENC) and seal.count(".") == 3:
            old = by_token.get(seal[len(_ENC) :].split(".", 1)[0])
            if old is not None and old != seal:
                kept[seal] = old
    return tuple(replace_seals(doc, kept) for doc in docs)


def replace_seals(doc: Any, replacements: Mapping[str, str]) -> Any:
    """``doc`` with each seal that is a key of ``replacements`` replaced by its value, also
    inside longer strings (a configuration file's lines); ``doc`` itself is not modified."""
    if not replacements:
        return doc

    def swap(match: re.Match[str]) -> str:
        return replacements.get(match.group(0), match.group(0))

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return _SEAL_IN_TEXT.sub(swap, node) if SEAL_PREFIX in node else node
        if isinstance(node, Mapping):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(doc)


def mask_seals(text: str, mask: str = "(sensitive value)") -> str:
    """``text`` (a configuration file's diff) with every seal string replaced by ``mask``: seals
    never leave the store, not even as fingerprints."""
    if SEAL_PREFIX not in text:
        return text
    return _SEAL_IN_TEXT.sub(mask, text)


def _seal_output(output: Any, replace: Callable[[str], str | None]) -> Any:
    if not isinstance(output, Mapping) or "value" not in output:
        return output
    value = _seal_strings(output["value"], replace, root=True)
    return output if value is output["value"] else {**output, "value": value}


def _seal_attributes(entry: Any, replace: Callable[[str], str | None]) -> Any:
    if not isinstance(entry, Mapping):
        return entry
    out = entry
    for key, root in (("attributes", True), ("attributes_flat", False)):
        value = entry.get(key)
        if isinstance(value, dict):
            new = _seal_strings(value, replace, root=root)
            if new is not value:
                out = {**out, key: new}
    return out


def _seal_strings(node: Any, replace: Callable[[str], str | None], root: bool = False) -> Any:
    """``node`` with every string for which ``replace`` gives a seal replaced by it (the type
    half of dynamic values left alone); unchanged parts are shared, not copied."""
    if isinstance(node, str):
        return replace(node) or node
    if isinstance(node, dict):
        if not root and is_dynamic(node):
            inner = _seal_strings(node["value"], replace)
            return node if inner is node["value"] else {**node, "value": inner}
        changed: dict[str, Any] | None = None
        for key, value in node.items():
            new = _seal_strings(value, replace)
            if new is not value:
                if changed is None:
                    changed = dict(node)
                changed[key] = new
        return node if changed is None else changed
    if isinstance(node, list):
        copy: list[Any] | None = None
        for i, value in enumerate(node):
            new = _seal_strings(value, replace)
            if new is not value:
                if copy is None:
                    copy = list(node)
                copy[i] = new
        return node if copy is None else copy
    return node


_SEAL_PREFIX_BYTES = SEAL_PREFIX.encode()
# Below this depth (document, then e.g. `resources`, then one instance) a subtree is first
# searched for seals as bytes: most instances hold none, and a C scan beats a Python walk.
_SCAN_DEPTH = 2


def _unseal(node: Any, redactor: Redactor, where: tuple[Any, ...], fps: list[str]) -> Any:
    if (
        len(where) == _SCAN_DEPTH
        and isinstance(node, dict | list)
        and _SEAL_PREFIX_BYTES not in delta.dumps(node)
    ):
        return node
    if isinstance(node, str):
        if not node.startswith(SEAL_PREFIX) or not is_sealed(node):
            return node
        if node.startswith(_FP):
            fps.append(_describe(where))
            return node
        # A value sealed whole may hold seals made before it (a sensitive path inside a
        # secret-named attribute): open those too.
        return _unseal(redactor.unseal(node), redactor, where, fps)
    if isinstance(node, dict):
        changed: dict[str, Any] | None = None
        for key, value in node.items():
            new = _unseal(value, redactor, (*where, key), fps)
            if new is not value:
                if changed is None:
                    changed = dict(node)
                changed[key] = new
        return node if changed is None else changed
    if isinstance(node, list):
        copy: list[Any] | None = None
        for i, value in enumerate(node):
            new = _unseal(value, redactor, (*where, i), fps)
            if new is not value:
                if copy is None:
                    copy = list(node)
                copy[i] = new
        return node if copy is None else copy
    return node


def _describe(where: tuple[Any, ...]) -> str:
    """A readable place: ``aws_db_instance.db attributes.password``, ``output db_password``."""
    if len(where) >= 2 and where[0] == "resources":
        head, rest = str(where[1]), where[2:]
    elif len(where) >= 2 and where[0] == "outputs":
        head, rest = f"output {where[1]}", where[3:]
    else:
        head, rest = "", where
    tail = ""
    for step in rest:
        tail += f"[{step}]" if isinstance(step, int) else (f".{step}" if tail else str(step))
    return f"{head} {tail}".strip() if head else tail or "the document"
