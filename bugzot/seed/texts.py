"""Text pools for synthetic bugs, and (PostgreSQL) their full-text vectors.

Summaries and comment sentences are generated once per seed from a small vocabulary;
bugs pick from them by index. On PostgreSQL each pool text's ``to_tsvector`` is computed
once and a bug's index row is put together from those pieces exactly as
``bugzot_fts_refresh`` would compute it (``tests/test_seed.py`` compares the two).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from sqlalchemy import Connection, text

_WORDS = (
    "crash freeze timeout login export import upload download sync render layout button menu "
    "dialog window cache index query report chart printer font locale unicode password token "
    "session cookie proxy socket certificate memory leak thread deadlock race startup shutdown "
    "config setting migration backup restore search filter sort column table field value error "
    "warning message notification email attachment image preview scroll keyboard shortcut mouse "
    "screen resolution theme icon toolbar status progress spinner update install uninstall "
    "permission role account profile avatar calendar timezone date format number currency"
).split()
_VERBS = ("saving", "opening", "closing", "editing", "deleting", "sorting", "filtering",
          "printing", "exporting", "importing", "syncing", "resizing", "searching", "loading")
_PROBLEMS = ("crashes", "hangs", "is slow", "shows garbage", "loses data", "fails silently",
             "throws an error", "looks wrong", "ignores the setting", "leaks memory")


class Pools:
    """Pre-generated summaries and comment sentences; rows pick from them cheaply."""

    def __init__(self, rng: random.Random):
        self.summaries = [
            f"{rng.choice(_WORDS).capitalize()} {rng.choice(_PROBLEMS)} when "
            f"{rng.choice(_VERBS)} the {rng.choice(_WORDS)} {rng.choice(_WORDS)}"
            for _ in range(4000)]
        self.sentences = [
            " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 14))).capitalize() + "."
            for _ in range(4000)]


# A tsvector as PostgreSQL prints it: 'lexeme':1,4 'other':2 (no weights in to_tsvector's).
_ENTRY = re.compile(r"'((?:[^']|'')*)'(?::([0-9,]+))?")
_MARKER = "9876543210"  # a number: its own lexeme, at the position after the text's last word


@dataclass(frozen=True)
class Piece:
    """``to_tsvector('english', text)`` of one pool text, ready to be placed after others."""

    entries: tuple[tuple[str, int], ...]  # ("'lexeme':", position), one per position
    width: int  # positions the text takes (stop words count, though they leave no lexeme)
    top: int  # its highest lexeme position, 0 when it has none


class Vectors:
    """The pool texts' vectors, computed by PostgreSQL once per seed, and a bug's index row
    put together from them as ``bugzot_fts_refresh`` computes it:

    ``public_tsv = setweight(summary, 'A') || setweight(description, 'B') || public comments``,
    ``all_tsv = public_tsv || private comments`` (NULL without private comments).

    Inside one text (a description of several sentences, comments joined by newlines)
    each text's positions follow the words before it; across ``||`` PostgreSQL moves the
    right vector's positions up by the left one's highest position. The literal lists a
    lexeme once per position; PostgreSQL merges them when it reads the literal.
    """

    def __init__(self, conn: Connection, pools: Pools, rare: str):
        texts = [*pools.summaries, *pools.sentences, rare]
        rows = conn.execute(text(
            "SELECT to_tsvector('english', t)::text, to_tsvector('english', t || ' ' || :marker)::text "
            "FROM unnest(CAST(:texts AS text[])) WITH ORDINALITY AS u(t, n) ORDER BY n"),
            {"texts": texts, "marker": _MARKER}).all()
        pieces = [self._piece(alone, marked) for alone, marked in rows]
        self.summaries = pieces[:len(pools.summaries)]
        self.sentences = pieces[len(pools.summaries):-1]
        self.rare = pieces[-1]

    def fit(self, comments_per_bug: int) -> bool:
        """Whether every bug's vectors stay under 256 positions. Past that, PostgreSQL
        keeps only 256 positions of a lexeme and none past 16,383, which the sums here do
        not model: longer bugs are indexed by ``bugzot_fts_refresh`` itself."""
        widest = max(p.width for p in self.sentences)
        words = (max(p.width for p in self.summaries) + 3 * widest + self.rare.width
                 + 2 * (comments_per_bug - 1) * widest)
        return words < 256

    @staticmethod
    def _piece(alone: str, marked: str) -> Piece:
        # PostgreSQL prints ' and \\ in a lexeme doubled: the form a literal needs again.
        entries = tuple((f"'{lexeme}':", int(p)) for lexeme, positions in _ENTRY.findall(alone)
                        for p in positions.split(","))
        width = int(dict(_ENTRY.findall(marked))[_MARKER].split(",")[-1]) - 1
        return Piece(entries, width, max((p for _, p in entries), default=0))

    @staticmethod
    def row(texts: list[tuple[list[Piece], str]], private: list[Piece]) -> tuple[str, str | None]:
        """``public_tsv`` and ``all_tsv`` literals of a bug whose public texts are ``texts``
        (the pieces of each, and its weight: "A", "B" or "" for D) and whose private comments
        are ``private`` (their pieces, in comment order)."""
        out: list[str] = []
        shift = 0  # the highest position so far: where the next vector of the || starts

        def add(pieces: list[Piece], weight: str) -> None:
            nonlocal shift
            offset = top = 0
            for piece in pieces:
                base = shift + offset
                out.extend([f"{lexeme}{base + p}{weight}" for lexeme, p in piece.entries])
                if piece.top:
                    top = offset + piece.top
                offset += piece.width
            shift += top

        for pieces, weight in texts:
            add(pieces, weight)
        public = " ".join(out)
        if not private:
            return public, None
        add(private, "")
        return public, " ".join(out)



def rare_sentence(word: str) -> str:
    """The sentence that carries the rare word of search benchmarks."""
    return f"Seen together with {word} again."
