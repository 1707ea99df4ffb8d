"""The cheap checks rules make before their real work must never rule out what the real work
would find (they may let through what it then rejects)."""

from __future__ import annotations

import random

from nbkit.rules.reproducibility.NBR005_literal_seed import _SEED_KWARGS, _may_name_seed_keyword
from nbkit.rules.reproducibility.NBR015_secret_in_notebook import _KV_WORDS, _may_hold_kv_word

# ASCII letters of the key words, their capitals, and the characters whose lower() is an ASCII
# letter (İ -> "i̇", KELVIN SIGN -> "k") or that are not Latin-1 / not in the BMP / lone surrogates
_ALPHABET = list("pPaAsSwWoOrRdDiIkKeEyY_cCtTnN \n=:'\"") + ["\u0130", "\u212a", "\u00e9", "\u2014", "\U0001f600",
                                                           "\ud800"]


def _reference_kv(texts: list[str]) -> bool:
    """What the rule's gate stands for: a key word in the lower-cased text."""
    low = "\n".join(texts).lower()
    return any(w in low for w in _KV_WORDS)


def test_kv_gate_never_misses_a_key_word():
    rng = random.Random(1405)
    words = [*_KV_WORDS, *(w.upper() for w in _KV_WORDS), "TO\u212aEN", "AP\u0130KEY", "api\u212aey", "Secret"]
    checked = 0
    for _ in range(3000):
        texts = ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 12))) + rng.choice(["", *words])
                 + "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 6)))
                 for _ in range(rng.randint(1, 3))]
        expected = _reference_kv(texts)
        got = _may_hold_kv_word(texts)
        assert got or not expected, texts
        if not any(ch in t for t in texts for ch in ("\u0130", "\u212a")):
            assert got == expected, texts  # exact but for the two characters
        checked += expected
    assert checked > 500  # the generator does produce key words


def test_kv_gate_cases():
    assert _may_hold_kv_word(["# Setup", "Token: abc"])
    assert _may_hold_kv_word(["TO\u212aEN = 'x'"])  # KELVIN SIGN: "token" once lower-cased
    assert _may_hold_kv_word(["\ud800 api_KEY"])  # a lone surrogate does not stop the search
    assert not _may_hold_kv_word(["caf\u00e9 \u2014 na\u00efve", "tok en", "pass word"])


def test_seed_keyword_gate():
    for name in _SEED_KWARGS:
        assert _may_name_seed_keyword(f"m = f(x, {name}=3)")
    assert _may_name_seed_keyword("m = f(\uff52\uff4e\uff47=3)")  # fullwidth: Python reads rng
    assert not _may_name_seed_keyword("m = f(x, random=3, state=2)")
