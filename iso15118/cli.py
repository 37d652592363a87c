"""`pnc exi ...`: EXI encode/decode from the shell, and a JSON-lines batch mode (one process, many items).

Exit codes: 0 ok, 2 usage (bad hex, bad JSON, bad arguments), 4 the codec refused the input (ExiError).
The codec is built inside the handlers (``default_codec()``) so that ``pnc --help`` does not compile grammars.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from iso15118.exi import ExiError, Grammar, default_codec

__all__ = ["register", "GRAMMARS"]

GRAMMARS = tuple(g.value for g in Grammar)
_OK, _USAGE, _REFUSED = 0, 2, 4


def register(subparsers: Any) -> None:
    exi = subparsers.add_parser("exi", help="encode/decode ISO 15118-2 EXI (JSON trees <-> hex)")
    actions = exi.add_subparsers(dest="exi_action", metavar="ACTION")
    actions.required = True

    dec = actions.add_parser("decode", help="EXI hex (argument or stdin) -> JSON on stdout")
    dec.add_argument("--grammar", required=True, choices=GRAMMARS)
    dec.add_argument("hex", nargs="?", help="the EXI stream as hex; read from stdin when absent")
    dec.add_argument("--pretty", action="store_true", help="indent the JSON output")
    dec.set_defaults(func=_decode)

    enc = actions.add_parser("encode", help="JSON tree on stdin -> EXI hex on stdout")
    enc.add_argument("--grammar", required=True, choices=GRAMMARS)
    enc.add_argument(
        "--no-min-length", action="store_true", help="accept values shorter than XSD minLength (field captures)"
    )
    enc.set_defaults(func=_encode)

    batch = actions.add_parser(
        "batch",
        help='JSON lines {"op":"encode"|"decode","grammar":G,"data":...} on stdin -> one JSON result line each',
    )
    batch.set_defaults(func=_batch)


def _fail(message: str, code: int) -> int:
    print(f"pnc exi: error: {message}", file=sys.stderr)
    return code


def _parse_hex(text: str) -> bytes | None:
    cleaned = "".join(text.split())
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        return None


def _decode(args: argparse.Namespace) -> int:
    text = args.hex if args.hex is not None else sys.stdin.read()
    data = _parse_hex(text)
    if data is None:
        return _fail("input is not hex", _USAGE)
    try:
        tree = default_codec().decode(data, Grammar(args.grammar))
    except ExiError as exc:
        return _fail(str(exc), _REFUSED)
    sys.stdout.write(json.dumps(tree, indent=2 if args.pretty else None) + "\n")
    return _OK


def _encode(args: argparse.Namespace) -> int:
    try:
        tree = json.loads(sys.stdin.read())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _fail(f"stdin is not JSON: {exc}", _USAGE)
    codec: Any = default_codec()
    try:
        data = codec.encode(tree, Grammar(args.grammar), check_min_length=not args.no_min_length)
    except ExiError as exc:
        return _fail(str(exc), _REFUSED)
    sys.stdout.write(data.hex() + "\n")
    return _OK


def _batch(args: argparse.Namespace) -> int:
    codec = default_codec()
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        out.write(json.dumps(_batch_item(codec, line), separators=(",", ":")) + "\n")
        out.flush()
    return _OK


def _batch_item(codec: Any, line: str) -> dict[str, Any]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"ok": False, "error": f"invalid JSON: {exc}"}
    if not isinstance(item, dict):
        return {"ok": False, "error": "each line must be a JSON object"}
    op, grammar, data = item.get("op"), item.get("grammar"), item.get("data")
    if grammar not in GRAMMARS:
        return {"ok": False, "error": f"grammar must be one of {', '.join(GRAMMARS)}"}
    try:
        if op == "encode":
            if not isinstance(data, dict):
                return {"ok": False, "error": "encode: data must be a JSON object (the tree)"}
            return {"ok": True, "data": codec.encode(data, Grammar(grammar)).hex()}
        if op == "decode":
            raw = _parse_hex(data) if isinstance(data, str) else None
            if raw is None:
                return {"ok": False, "error": "decode: data must be a hex string"}
            return {"ok": True, "data": codec.decode(raw, Grammar(grammar))}
    except ExiError as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": False, "error": 'op must be "encode" or "decode"'}
