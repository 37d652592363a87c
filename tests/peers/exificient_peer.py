"""EXIficient peer server: drives the EXICodec.jar of SwitchEV's ``iso15118`` wheel through py4j.

Runs with ``.venv-peer/bin/python`` (py4j only; see setup_peers.py), never imports project code, and
speaks JSON lines: one request per stdin line, one response per stdout line.

Requests (``grammar`` is one of the project's grammar names, mapped to the jar's namespaces below)::

    {"op": "version"}
    any request may add "grammars": "shipped" (default: the jar as SwitchEV ships it) or "xsd"
    {"op": "encode", "grammar": G, "json": TREE}          -> {"ok": true, "hex": "80..."}
    {"op": "decode", "grammar": G, "hex": "80..."}        -> {"ok": true, "json": TREE}
    {"op": "time", "what": "encode"|"decode", "grammar": G, "json"|"hex": ..., "n": N}
                                                          -> {"ok": true, "n": N, "seconds_per_call": s}
    failures                                               -> {"ok": false, "error": "..."}

How the jar treats roots (found by experiment and by reading its bytecode with ``javap``):

* documents: ``V2G_Message`` (MsgDef), ``supportedAppProtocolReq/Res`` (AppProtocol) encode and
  decode through the JSON API.
* ISO-2 fragments are chosen by the *root name* alone, there is no fragment switch: the
  ``fragmentGrammarElements`` list (``CertificateInstallationReq``, ``AuthorizationReq``,
  ``MeteringReceiptReq``) goes through JAXB and is encoded with ``fragment=true``; the
  ``signatureElements`` list (``ContractSignatureCertChain``, ``ContractSignatureEncryptedPrivateKey``,
  ``DHpublickey``, ``eMAID``, ``SalesTariff``) is read by hand-written JSON readers and also encoded as
  fragments.  Any other root (e.g. ``CertificateUpdateReq``) is not a fragment to the jar.
* decoding an ISO-2 fragment through the JSON API does not work: the jar always decodes MsgDef
  streams as documents, which fails or silently yields a wrong tree.  ``decode`` therefore refuses
  the ``iso2-fragment`` grammar instead of returning garbage.
* xmldsig (``SignedInfo``): the jar always uses fragment mode, encode and decode both work, but
  the encoder (``SecurityPayloads.GetSignedInfo``) takes only the Reference URIs and DigestValues
  from the JSON and writes everything else itself (ISO 15118-2 algorithms, one canonical-exi
  Transform, no Id attributes).
* the jar's grammars are *pre-generated* classes (``generatedgrammar.ISO15118_2Grammar`` etc.).
  Compared state by state with the grammars EXIficient builds at run time from the XSDs (both in
  the same jar; bisimulation over all 269 type and element grammars), the ISO-2 one differs in
  exactly seven places: the lists with maxOccurs >= 16 are plain loops, so after the last allowed
  occurrence the jar still offers SE(next) besides EE and writes EE with 2 bits instead of 1
  (ProfileEntry 24, RootCertificateID 20, SelectedService 16, Parameter 16, ParameterSet 255,
  PMaxScheduleEntry 1024, SalesTariffEntry 1024).  The AppProtocol and xmldsig grammars agree.
  With ``"grammars": "xsd"`` a request is served by a second EXICodec whose grammar fields are
  replaced (reflection) by the grammars EXIficient builds from the project's vendored XSDs; only
  then do full lists follow the XSD.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from py4j.java_gateway import JavaGateway
from py4j.protocol import Py4JError

__all__ = ["NAMESPACES", "Peer", "main"]

NAMESPACES = {
    "appProtocol": "urn:iso:15118:2:2010:AppProtocol",
    "iso2": "urn:iso:15118:2:2013:MsgDef",
    "iso2-fragment": "urn:iso:15118:2:2013:MsgDef",
    "xmldsig-fragment": "http://www.w3.org/2000/09/xmldsig#",
}
# Roots the jar encodes in fragment mode with the ISO-2 grammar (AbstractEXICodec.UseFragmentMode).
ISO2_FRAGMENT_ROOTS = frozenset({
    "CertificateInstallationReq", "AuthorizationReq", "MeteringReceiptReq",
    "ContractSignatureCertChain", "ContractSignatureEncryptedPrivateKey", "DHpublickey", "eMAID",
    "SalesTariff",
})


class PeerError(Exception):
    pass


# AbstractEXICodec fields holding the grammars, and the XSD each is built from (relative to schemas/).
_GRAMMAR_FIELDS = {
    "commonAppProtocol": "V2G_CI_AppProtocol.xsd",
    "iso15118_2_Grammar": "iso15118_2/V2G_CI_MsgDef.xsd",
    "core_schema_Protocol": "xmldsig-core-schema.xsd",
}


class Peer:
    def __init__(self, jar: str, schema_dir: str | None = None) -> None:
        self.gateway = JavaGateway.launch_gateway(
            classpath=jar, die_on_exit=True,
            javaopts=["--add-opens", "java.base/java.lang=ALL-UNNAMED"])
        self.shipped = self.gateway.jvm.com.siemens.ct.exi.main.cmd.EXICodec()
        self.codec = self.shipped
        self._schema_dir = schema_dir
        self._xsd_codec: Any = None

    def xsd_codec(self) -> Any:
        """An EXICodec whose pre-generated grammars are replaced by grammars built from the XSDs."""
        if self._xsd_codec is None:
            if self._schema_dir is None:
                raise PeerError("no schema directory given: xsd grammars unavailable")
            jvm = self.gateway.jvm
            tmp = Path(tempfile.mkdtemp(prefix="exi-xsd-"))
            shutil.copytree(self._schema_dir, tmp / "schemas")
            # Xerces would try to fetch the DTD named in xmldsig-core-schema.xsd's DOCTYPE: drop it.
            dsig = tmp / "schemas" / "xmldsig-core-schema.xsd"
            dsig.write_text(re.sub(r"<!DOCTYPE.*?\]>", "", dsig.read_text(), flags=re.S))
            codec = jvm.com.siemens.ct.exi.main.cmd.EXICodec()
            factory = jvm.com.siemens.ct.exi.grammars.GrammarFactory.newInstance()
            for name, xsd in _GRAMMAR_FIELDS.items():
                field = codec.getClass().getSuperclass().getDeclaredField(name)
                field.setAccessible(True)
                field.set(codec, factory.createGrammars((tmp / "schemas" / xsd).as_uri()))
            shutil.rmtree(tmp, ignore_errors=True)
            self._xsd_codec = codec
        return self._xsd_codec

    def use(self, grammars: str) -> None:
        if grammars == "shipped":
            self.codec = self.shipped
        elif grammars == "xsd":
            self.codec = self.xsd_codec()
        else:
            raise PeerError(f"unknown grammar source {grammars!r}")

    def version(self) -> float:
        return float(self.codec.get_version())

    @staticmethod
    def _ns(grammar: str) -> str:
        try:
            return NAMESPACES[grammar]
        except KeyError:
            raise PeerError(f"unknown grammar {grammar!r}") from None

    def _check_root(self, tree: dict[str, Any], grammar: str) -> None:
        if not isinstance(tree, dict) or len(tree) != 1:
            raise PeerError("tree must have exactly one root key")
        root = next(iter(tree))
        if grammar == "iso2-fragment" and root not in ISO2_FRAGMENT_ROOTS:
            raise PeerError(f"the jar does not encode {root} as an ISO-2 fragment")
        if grammar == "iso2" and root != "V2G_Message":
            raise PeerError(f"an iso2 document must be V2G_Message, not {root}")

    def encode_str(self, text: str, ns: str) -> bytes:
        out = self.codec.encode(text, ns)
        if out is None:
            raise PeerError(f"encode failed: {self.codec.get_last_encoding_error()}")
        return bytes(out)

    def decode_bytes(self, data: bytes, ns: str) -> Any:
        text = self.codec.decode(data, ns)
        if not text:
            raise PeerError(f"decode failed: {self.codec.get_last_decoding_error()}")
        return json.loads(text)

    def encode(self, tree: dict[str, Any], grammar: str) -> bytes:
        self._check_root(tree, grammar)
        return self.encode_str(json.dumps(tree), self._ns(grammar))

    def decode(self, data: bytes, grammar: str) -> Any:
        if grammar == "iso2-fragment":
            raise PeerError("the jar cannot decode ISO-2 fragments through its JSON API")
        return self.decode_bytes(data, self._ns(grammar))

    def time(self, what: str, grammar: str, payload: Any, n: int) -> float:
        """Mean seconds per call of the jar path as SwitchEV uses it (dict -> JSON -> py4j -> bytes)."""
        ns = self._ns(grammar)
        if what == "encode":
            self._check_root(payload, grammar)
            self.encode_str(json.dumps(payload), ns)  # warm-up
            start = time.perf_counter()
            for _ in range(n):
                self.encode_str(json.dumps(payload), ns)
        elif what == "decode":
            data = bytes.fromhex(payload)
            self.decode(data, grammar)
            start = time.perf_counter()
            for _ in range(n):
                self.decode_bytes(data, ns)
        else:
            raise PeerError(f"unknown timing target {what!r}")
        return (time.perf_counter() - start) / n

    def handle(self, req: dict[str, Any]) -> dict[str, Any]:
        op = req.get("op")
        self.use(req.get("grammars", "shipped"))
        if op == "version":
            return {"ok": True, "version": self.version()}
        if op == "encode":
            return {"ok": True, "hex": self.encode(req["json"], req["grammar"]).hex()}
        if op == "decode":
            return {"ok": True, "json": self.decode(bytes.fromhex(req["hex"]), req["grammar"])}
        if op == "time":
            payload = req["json"] if req["what"] == "encode" else req["hex"]
            n = max(1, int(req.get("n", 20)))
            return {"ok": True, "n": n,
                    "seconds_per_call": self.time(req["what"], req["grammar"], payload, n)}
        raise PeerError(f"unknown op {op!r}")


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print("usage: exificient_peer.py EXICodec.jar [SCHEMA_DIR]", file=sys.stderr)
        return 2
    peer = Peer(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else None)
    out = sys.stdout
    out.write(json.dumps({"ok": True, "ready": True, "version": peer.version()}) + "\n")
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            resp = peer.handle(json.loads(line))
        except (PeerError, Py4JError, KeyError, ValueError, TypeError) as exc:
            resp = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        except Exception as exc:  # keep serving; report the unexpected with its trace
            resp = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                    "trace": traceback.format_exc(limit=3)}
        out.write(json.dumps(resp) + "\n")
        out.flush()
    peer.gateway.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
