"""Rendering the store's certificates as a tree (roots first), for `pnc demo`."""

from __future__ import annotations

from collections.abc import Sequence

from pki.model import CertificateRecord

__all__ = ["render_tree"]


def _cn(subject: str) -> str:
    for part in subject.split(","):
        if part.startswith("CN="):
            return part[3:]
    return subject


def render_tree(records: Sequence[CertificateRecord], ca_names: dict[int, str]) -> list[str]:
    """The certificates as a tree (roots first), one line each."""
    by_issuer: dict[str, list[CertificateRecord]] = {}
    roots = []
    for r in sorted(records, key=lambda r: r.created_at):
        name = ca_names.get(r.serial)
        if name is not None and r.issuer == name:
            roots.append(r)
        else:
            by_issuer.setdefault(r.issuer, []).append(r)
    lines: list[str] = []

    def walk(record: CertificateRecord, prefix: str, last: bool, top: bool) -> None:
        status = f"REVOKED ({record.revocation_reason})" if record.revoked else "good"
        label = f"{_cn(record.subject)}  [{record.profile}]  until {record.not_after:%Y-%m-%d}  {status}"
        lines.append(label if top else f"{prefix}{'└── ' if last else '├── '}{label}")
        name = ca_names.get(record.serial)
        children = by_issuer.get(name, []) if name else []
        child_prefix = "" if top else prefix + ("    " if last else "│   ")
        for i, child in enumerate(children):
            walk(child, child_prefix, i == len(children) - 1, False)

    for root in roots:
        walk(root, "", True, True)
        lines.append("")
    return lines
