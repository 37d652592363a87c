"""Content-model automata for schema-informed element grammars (EXI 1.0 §8.5.4.1-§8.5.4.3).

A particle tree becomes a regular expression over *leaves* (element particles, with their substitution
group, or wildcards).  Instead of expanding ``{min,max}`` into copies as §8.5.4.1.5 describes, states are
Antimirov partial derivatives of that expression: counted repetition stays symbolic, yet every state the
copy expansion would produce (one per remaining count) is produced, with the same productions, so the
event codes are identical.  §8.5.4.3 orders a state's productions: SE(qname) in schema order (the leaf's
position; substitution group members sorted by local name, then URI), then SE(*), EE, CH.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from functools import cache
from typing import Any

__all__ = ["Leaf", "Term", "EPS", "leaf", "seq", "alt", "rep", "automaton", "WILDCARD"]

Term = tuple[Any, ...]
EPS: Term = ("eps",)
WILDCARD = "*"


@dataclass(frozen=True)
class Leaf:
    """One element particle (``names`` in production order) or a wildcard (``names == ("*",)``)."""

    order: int
    names: tuple[Hashable, ...]


def leaf(index: int) -> Term:
    return ("leaf", index)


def seq(items: list[Term]) -> Term:
    flat: list[Term] = []
    for item in items:
        if item[0] == "seq":
            flat.extend(item[1])
        elif item != EPS:
            flat.append(item)
    if not flat:
        return EPS
    return flat[0] if len(flat) == 1 else ("seq", tuple(flat))


def alt(items: list[Term]) -> Term:
    flat: set[Term] = set()
    for item in items:
        if item[0] == "alt":
            flat.update(item[1])
        else:
            flat.add(item)
    if len(flat) == 1:
        return next(iter(flat))
    return ("alt", frozenset(flat))


def rep(term: Term, lo: int, hi: int) -> Term:
    """``term{lo,hi}``; ``hi < 0`` means unbounded."""
    if hi == 0 or term == EPS:
        return EPS
    if lo == 1 and hi == 1:
        return term
    return ("rep", term, lo, hi)


class _Algebra:
    def __init__(self, leaves: list[Leaf]) -> None:
        self.match = [frozenset(lf.names) for lf in leaves]

    @cache  # noqa: B019 - one algebra per grammar set build
    def nullable(self, t: Term) -> bool:
        kind = t[0]
        if kind == "eps":
            return True
        if kind == "leaf":
            return False
        if kind == "seq":
            return all(self.nullable(x) for x in t[1])
        if kind == "alt":
            return any(self.nullable(x) for x in t[1])
        return bool(t[2] == 0 or self.nullable(t[1]))

    @cache  # noqa: B019
    def first(self, t: Term) -> frozenset[int]:
        kind = t[0]
        if kind == "eps":
            return frozenset()
        if kind == "leaf":
            return frozenset((t[1],))
        if kind == "seq":
            out: set[int] = set()
            for x in t[1]:
                out |= self.first(x)
                if not self.nullable(x):
                    break
            return frozenset(out)
        if kind == "alt":
            return frozenset().union(*(self.first(x) for x in t[1]))
        return self.first(t[1])

    @cache  # noqa: B019
    def derive(self, t: Term, name: Hashable) -> frozenset[Term]:
        kind = t[0]
        if kind == "eps":
            return frozenset()
        if kind == "leaf":
            return frozenset((EPS,)) if name in self.match[t[1]] else frozenset()
        if kind == "alt":
            return frozenset().union(*(self.derive(x, name) for x in t[1]))
        if kind == "seq":
            head, rest = t[1][0], seq(list(t[1][1:]))
            out = {seq([d, rest]) for d in self.derive(head, name)}
            if self.nullable(head):
                out |= self.derive(rest, name)
            return frozenset(out)
        inner, lo, hi = t[1], t[2], t[3]
        again = rep(inner, max(lo - 1, 0), hi - 1 if hi > 0 else hi)
        return frozenset(seq([d, again]) for d in self.derive(inner, name))


State = frozenset[Term]


def automaton(root: Term, leaves: list[Leaf]) -> list[tuple[list[tuple[Hashable, int]], bool]]:
    """Deterministic states reachable from ``root``: per state the (name, target state) transitions in
    production order, and whether EE is allowed.  State 0 is the start state."""
    algebra = _Algebra(leaves)
    start: State = frozenset((root,))
    index: dict[State, int] = {start: 0}
    order: list[State] = [start]
    result: list[tuple[list[tuple[Hashable, int]], bool]] = []
    pos = 0
    while pos < len(order):
        state = order[pos]
        pos += 1
        firsts: set[int] = set()
        for t in state:
            firsts |= algebra.first(t)
        moves: list[tuple[Hashable, int]] = []
        seen: set[Hashable] = set()
        for leaf_index in sorted(firsts, key=lambda i: leaves[i].order):
            for name in leaves[leaf_index].names:
                if name in seen:
                    continue
                seen.add(name)
                target: State = frozenset().union(*(algebra.derive(t, name) for t in state))
                if target not in index:
                    index[target] = len(order)
                    order.append(target)
                moves.append((name, index[target]))
        # §8.5.4.3: SE(*) after every SE(qname)
        moves.sort(key=lambda m: m[0] == WILDCARD)
        result.append((moves, any(algebra.nullable(t) for t in state)))
    return result
