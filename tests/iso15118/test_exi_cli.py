"""`pnc exi decode|encode|batch` through the installed entry point (real subprocesses)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from iso15118 import cli
from iso15118.exi import Grammar
from tests.iso15118.golden import vector

PNC = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "pnc")


def _pnc(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([PNC, "exi", *args], input=stdin, capture_output=True, text=True, timeout=60, check=False)


def test_grammar_choices_match_the_codec() -> None:
    assert cli.GRAMMARS == tuple(g.value for g in Grammar)


def test_decode_hex_argument_and_stdin() -> None:
    v = vector("everest.SessionSetupReq")
    by_arg = _pnc("decode", "--grammar", "iso2", v["hex"])
    assert by_arg.returncode == 0, by_arg.stderr
    assert json.loads(by_arg.stdout) == v["json"]
    by_stdin = _pnc("decode", "--grammar", "iso2", "--pretty", stdin=v["hex"].upper() + "\n")
    assert by_stdin.returncode == 0 and json.loads(by_stdin.stdout) == v["json"]


def test_encode_from_stdin() -> None:
    v = vector("risev2g.cert_install_res.signed_info")
    done = _pnc("encode", "--grammar", "xmldsig-fragment", stdin=json.dumps(v["json"]))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == v["hex"]


def test_encode_min_length_switch() -> None:
    v = vector("everest.ChargingStatusRes.minimal")  # EVSEID "000000" < minLength 7
    refused = _pnc("encode", "--grammar", "iso2", stdin=json.dumps(v["json"]))
    assert refused.returncode == 4 and "EVSEID: shorter than minLength 7" in refused.stderr
    accepted = _pnc("encode", "--grammar", "iso2", "--no-min-length", stdin=json.dumps(v["json"]))
    assert accepted.returncode == 0 and accepted.stdout.strip() == v["hex"]


def test_errors_and_exit_codes() -> None:
    bad_exi = _pnc("decode", "--grammar", "iso2", "809888")
    assert bad_exi.returncode == 4 and "at bit 16" in bad_exi.stderr and bad_exi.stdout == ""
    assert _pnc("decode", "--grammar", "iso2", "80zz").returncode == 2
    assert _pnc("encode", "--grammar", "iso2", stdin="{not json").returncode == 2
    assert _pnc("decode", "--grammar", "iso20", "80").returncode == 2  # argparse usage error
    missing = _pnc("encode", "--grammar", "iso2", stdin='{"V2G_Message": {"Body": {}}}')
    assert missing.returncode == 4 and "V2G_Message/Header: missing required element" in missing.stderr


def test_batch_with_a_bad_line() -> None:
    app = vector("everest.supportedAppProtocolRes")
    sign = vector("openv2g.signed_info_ID1")
    lines: list[Any] = [
        {"op": "decode", "grammar": "appProtocol", "data": app["hex"]},
        "this is not json",
        {"op": "encode", "grammar": "xmldsig-fragment", "data": sign["json"]},
        {"op": "decode", "grammar": "iso2", "data": "809888"},
        {"op": "transcode", "grammar": "iso2", "data": ""},
        {"op": "decode", "grammar": "din", "data": "80"},
        ["not", "an", "object"],
        {"op": "encode", "grammar": "iso2", "data": "not a tree"},
        {"op": "decode", "grammar": "appProtocol", "data": app["hex"]},
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n\n"
    done = _pnc("batch", stdin=stdin)
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == len(lines)
    assert results[0] == results[-1] == {"ok": True, "data": app["json"]}
    assert results[2] == {"ok": True, "data": sign["hex"]}
    assert [r["ok"] for r in results] == [True, False, True, False, False, False, False, False, True]
    assert "invalid JSON" in results[1]["error"] and "at bit 16" in results[3]["error"]
