"""Text pools for synthetic bugs, and (PostgreSQL) their full-text vectors.

Summaries and comment sentences are generated once per seed from a small vocabulary;
bugs pick from them by index. On PostgreSQL each pool text's ``to_tsvector`` is computed
once and a bug's index row is put together from those pieces exactly as
``bugzot_fts_refresh`` would compute it (``tests/test_seed.py`` compares the two), in
``tsvector``'s binary COPY form.
"""

from __future__ import annotations

import random
import struct
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

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


_MARKER = "9876543210"  # a number: its own lexeme, at the position after the text's last word
# A position's weight in tsvector's binary form is its top two bits (A 3, B 2, C 1, D 0).
# The codes below carry "3 - weight" there instead (A 0, B 1, D 3: the order of the texts
# in a bug's vector), so that sorting codes also sorts each lexeme's positions; XOR with
# 0xC000 turns them back.
WEIGHTS = {"A": 0 << 14, "B": 1 << 14, "C": 2 << 14, "": 3 << 14}
_COUNT = struct.Struct("!i")


@dataclass(frozen=True)
class Piece:
    """``to_tsvector('english', text)`` of one pool text, ready to be placed after others."""

    codes: tuple[int, ...]  # lexeme rank << 16 | position, one per position
    width: int  # positions the text takes (stop words count, though they leave no lexeme)
    top: int  # its highest lexeme position, 0 when it has none


class Vectors:
    """The pool texts' vectors, computed by PostgreSQL once per seed, and a bug's index row
    put together from them as ``bugzot_fts_refresh`` computes it:

    ``public_tsv = setweight(summary, 'A') || setweight(description, 'B') || public comments``,
    ``all_tsv = public_tsv || private comments`` (NULL without private comments).

    Inside one text (a description of several sentences, comments joined by newlines)
    each text's positions follow the words before it; across ``||`` PostgreSQL moves the
    right vector's positions up by the left one's highest position. The vectors come out
    in ``tsvector``'s binary COPY form (lexemes sorted, each once with its positions),
    which PostgreSQL takes without parsing. Every pool lexeme has a rank in that sort
    order, so a bug's vector is one sort of small integers.
    """

    def __init__(self, conn: Connection, pools: Pools, rare: str):
        texts = [*pools.summaries, *pools.sentences, rare]
        entries: list[list[tuple[bytes, int]]] = [[] for _ in texts]
        widths = [0] * len(texts)
        pool = "unnest(CAST(:texts AS text[])) WITH ORDINALITY AS u(t, n)"
        for n, lexeme, positions in conn.execute(text(
                f"SELECT n, v.lexeme, v.positions FROM {pool}, "  # nosec B608: fixed text
                "unnest(to_tsvector('english', t)) AS v"), {"texts": texts}):
            entries[n - 1].extend((lexeme.encode(), p) for p in positions)
        # The marker's last position, less one: how many positions the text takes.
        for n, width in conn.execute(text(
                f"SELECT n, v.positions[array_upper(v.positions, 1)] - 1 FROM {pool}, "  # nosec B608
                "unnest(to_tsvector('english', t || ' ' || :marker)) AS v WHERE v.lexeme = :marker"),
                {"texts": texts, "marker": _MARKER}):
            widths[n - 1] = width
        # PostgreSQL orders lexemes by their bytes (a prefix first), as Python does.
        self.lexemes = sorted({lexeme for found in entries for lexeme, _ in found})
        rank = {lexeme: number for number, lexeme in enumerate(self.lexemes)}
        # Each lexeme's start in binary form, by position count: NUL-ended, then the count.
        self.heads = [[lexeme + b"\0" + struct.pack("!H", n) for n in range(257)]
                      for lexeme in self.lexemes]
        pieces = [Piece(tuple(sorted(rank[lexeme] << 16 | p for lexeme, p in found)), width,
                        max((p for _, p in found), default=0))
                  for found, width in zip(entries, widths, strict=True)]
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

    def row(self, texts: list[tuple[list[Piece], int]], private: list[Piece]
            ) -> tuple[bytes, bytes | None]:
        """``public_tsv`` and ``all_tsv`` (binary) of a bug whose public texts are ``texts``
        (the pieces of each, and its ``WEIGHTS`` bits) and whose private comments are
        ``private`` (their pieces, in comment order)."""
        codes: list[int] = []
        shift = 0  # the highest position so far: where the next vector of the || starts

        def add(pieces: list[Piece], weight: int) -> None:
            nonlocal shift
            offset = top = 0
            for piece in pieces:
                base = shift + offset + weight
                codes.extend([code + base for code in piece.codes])
                if piece.top:
                    top = offset + piece.top
                offset += piece.width
            shift += top

        for pieces, weight in texts:
            add(pieces, weight)
        public = self._binary(sorted(codes))
        if not private:
            return public, None
        add(private, WEIGHTS[""])
        return public, self._binary(sorted(codes))

    @cached_property
    def _positions(self) -> tuple[bytes, ...]:
        """Each code's low 16 bits as the position (weight bits restored) in binary form.
        Built where vectors are made (a worker process), never pickled with the pieces."""
        return tuple(struct.pack("!H", low ^ 0xC000) for low in range(1 << 16))

    def _binary(self, codes: list[int]) -> bytes:
        """``tsvector``'s binary form of sorted codes: the lexeme count, then each lexeme
        (NUL-ended) with its position count and positions."""
        counts = Counter([code >> 16 for code in codes])  # in rank order: the codes are sorted
        out, heads, positions, previous = [_COUNT.pack(len(counts))], self.heads, self._positions, -1
        put = out.append
        for code in codes:
            rank = code >> 16
            if rank != previous:
                put(heads[rank][counts[rank]])
                previous = rank
            put(positions[code & 0xFFFF])
        return b"".join(out)


def rare_sentence(word: str) -> str:
    """The sentence that carries the rare word of search benchmarks."""
    return f"Seen together with {word} again."
