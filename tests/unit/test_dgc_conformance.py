"""The EU DCC public test vectors check our verifier's transport and signature steps.

Every JSON file under ``<country>/2DCode/raw/`` and under versioned folders
(``<country>/<version>/2DCode/raw/``, e.g. ``PL/1.0.0/...``) is a test case; each expected
boolean must match what our decoder (with the prefix ``HC1:``) finds. A file need not give
every intermediate layer: where COMPRESSED, COSE or CBOR is missing, the step works from the
layer before it (ultimately the prefixed text), and where nothing says what the step should
produce, the step holds when it decodes.

The DCC issuers wrote their CBOR in any key order and put the kid in either header, so the
vectors are read with the COSE interop profile (``strict=False``: tag 18 still required, one
item, nothing after it); our own badges are read strictly (tests/unit/test_badge_wire.py).

Steps that do not apply to a badge verifier skip with their reason (``NOT_APPLICABLE``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import pytest
from cryptography import x509

from services.credential.badges import cose, qr
from services.credential.badges.cbor import loads_exact
from services.credential.badges.lists import TrustedKey
from services.credential.badges.transport import b45decode, inflate, unprefix, unwrap
from services.credential.badges.verifier import check_signature, time_verdict

DCC_PREFIX = "HC1:"
REPO = Path(__file__).resolve().parents[2]


def _testdata() -> Path | None:
    candidates = [os.environ.get("CARECRED_DGC_TESTDATA", ""), REPO.parent / "shared", REPO.parent.parent / "shared"]
    for base in candidates:
        if not base:
            continue
        path = Path(base)
        path = path if path.name == "dgc-testdata" else path / "conformance" / "dgc-testdata"
        if path.is_dir():
            return path
    return None


TESTDATA = _testdata()
if TESTDATA is None:
    pytest.skip(
        f"EU DCC test vectors not found at {REPO.parent / 'shared/conformance/dgc-testdata'} "
        "(set CARECRED_DGC_TESTDATA to the dgc-testdata folder)",
        allow_module_level=True,
    )

STEPS = ["EXPECTEDPICTUREDECODE", "EXPECTEDUNPREFIX", "EXPECTEDB45DECODE", "EXPECTEDCOMPRESSION",
         "EXPECTEDVERIFY", "EXPECTEDEXPIRATIONCHECK", "EXPECTEDDECODE", "EXPECTEDVALIDOBJECT"]
NOT_APPLICABLE = {
    "EXPECTEDSCHEMAVALIDATION": "the COVID certificate's JSON schema: a DCC payload rule, not part of our wire chain",
    "EXPECTEDVALIDJSON": "the COVID certificate's JSON rendering: a DCC payload rule",
    "EXPECTEDKEYUSAGE": "the DSC's extended key usage for vaccination/test/recovery: DCC certificate policy",
    "EXPECTEDENCODE": "building CBOR from the COVID JSON: an issuing step of the DCC's, not a verifier's",
}


def vector_files(root: Path) -> list[Path]:
    """Every test file: ``<country>/2DCode/raw/*.json`` and versioned ``<country>/<version>/2DCode/raw/*.json``."""
    return sorted(p for p in root.rglob("*.json") if p.parent.name == "raw" and p.parent.parent.name == "2DCode")


FILES = vector_files(TESTDATA)


def _cases() -> list[object]:
    cases = []
    for path in FILES:
        expected = json.loads(path.read_text(encoding="utf-8")).get("EXPECTEDRESULTS", {})
        for step, value in expected.items():
            folder = "/".join(path.relative_to(TESTDATA).parts[:-3])
            name = f"{folder}/{path.stem}-{step.removeprefix('EXPECTED').lower()}"
            marks = [pytest.mark.skip(reason=NOT_APPLICABLE[step])] if step in NOT_APPLICABLE else []
            cases.append(pytest.param(path, step, value, id=name, marks=marks))
    return cases


def _base45(case: dict) -> str:
    return case["BASE45"] if "BASE45" in case else unprefix(case["PREFIX"], DCC_PREFIX)


def _compressed(case: dict) -> bytes:
    return bytes.fromhex(case["COMPRESSED"]) if "COMPRESSED" in case else b45decode(_base45(case))


def _cose_of(case: dict) -> bytes:
    """The COSE bytes: as given, else decoded from the layers before (ultimately the prefixed text)."""
    if "COSE" in case:
        return bytes.fromhex(case["COSE"])
    return inflate(_compressed(case))


def _trusted(case: dict) -> dict[bytes, TrustedKey]:
    """The test's DSC as the only trusted key: kid = first 8 bytes of SHA-256 over the certificate."""
    der = base64.b64decode(case["TESTCTX"]["CERTIFICATE"])
    public_key = x509.load_der_x509_certificate(der).public_key()
    kid = hashlib.sha256(der).digest()[:8]
    return {kid: TrustedKey(kid=kid, algorithm=cose.algorithm_of(public_key), public_key=public_key, valid_from=0)}


def _cwt(case: dict) -> dict:
    claims = loads_exact(cose.parse_sign1(_cose_of(case), strict=False).payload)
    assert isinstance(claims, dict)
    return claims


def run_step(step: str, case: dict) -> bool:
    """Our decoder's outcome for one step of one test file (any error means the step failed)."""
    try:
        if step == "EXPECTEDPICTUREDECODE":
            return qr.read_png(base64.b64decode(case["2DCODE"])) == case["PREFIX"]
        if step == "EXPECTEDUNPREFIX":
            text = unprefix(case["PREFIX"], DCC_PREFIX)
            return text == case["BASE45"] if "BASE45" in case else bool(text)
        if step == "EXPECTEDB45DECODE":
            raw = b45decode(_base45(case))
            if "COMPRESSED" in case:
                return raw == bytes.fromhex(case["COMPRESSED"])
            if "COSE" in case:
                return inflate(raw) == bytes.fromhex(case["COSE"])
            return bool(raw)  # nothing to compare with: the step is that it decodes
        if step == "EXPECTEDCOMPRESSION":
            inflated = inflate(_compressed(case))
            return inflated == bytes.fromhex(case["COSE"]) if "COSE" in case else bool(inflated)
        if step == "EXPECTEDVERIFY":
            return check_signature(_cose_of(case), _trusted(case), strict=False).verdict is None
        if step == "EXPECTEDEXPIRATIONCHECK":
            claims = _cwt(case)
            clock = dt.datetime.fromisoformat(case["TESTCTX"]["VALIDATIONCLOCK"])
            return time_verdict(claims.get(6), claims.get(4), int(clock.timestamp()), skew=0) is None
        if step == "EXPECTEDDECODE":
            claims = _cwt(case)
            hcert = claims[-260][1]
            if "CBOR" not in case:
                return isinstance(hcert, dict)
            given = loads_exact(bytes.fromhex(case["CBOR"]))  # some files give the whole CWT, most the hcert
            return isinstance(hcert, dict) and given in (hcert, claims)
        if step == "EXPECTEDVALIDOBJECT":
            sign1 = cose.parse_sign1(unwrap(case["PREFIX"], DCC_PREFIX), strict=False)
            return isinstance(loads_exact(sign1.payload), dict)
    except (ValueError, KeyError, TypeError, IndexError, AssertionError) as exc:
        print(f"{step}: {type(exc).__name__}: {exc}")
        return False
    raise AssertionError(f"unknown step {step}")


def test_every_country_folder_and_common_is_covered():
    folders = {p.relative_to(TESTDATA).parts[0] for p in FILES}
    assert "common" in folders and len(folders) >= 8, folders
    assert len(FILES) >= 70
    on_disk = [p for p in TESTDATA.rglob("*.json") if "2DCode" in p.parts]
    assert sorted(on_disk) == FILES  # nothing under a 2DCode folder is left out


def test_versioned_folders_and_files_without_the_intermediate_layers_are_read(tmp_path):
    """As in the upstream repository's PL/1.0.0/2DCode/raw/: a file with only the prefixed text and image."""
    source = TESTDATA / "AT" / "2DCode" / "raw" / "1.json"
    case = json.loads(source.read_text(encoding="utf-8"))
    bare = {k: v for k, v in case.items() if k not in ("COMPRESSED", "COSE", "CBOR", "BASE45")}
    versioned = tmp_path / "PL" / "1.0.0" / "2DCode" / "raw" / "1.json"
    versioned.parent.mkdir(parents=True)
    versioned.write_text(json.dumps(bare), encoding="utf-8")
    (tmp_path / "PL" / "1.0.0" / "2DCode" / "png").mkdir()
    assert vector_files(tmp_path) == [versioned]
    expected = case["EXPECTEDRESULTS"]
    steps = [step for step in STEPS if step in expected]
    assert {"EXPECTEDB45DECODE", "EXPECTEDCOMPRESSION", "EXPECTEDVERIFY", "EXPECTEDDECODE"} <= set(steps)
    for step in steps:
        assert run_step(step, bare) is expected[step], step
    broken = dict(bare, PREFIX=bare["PREFIX"][:-20])
    assert run_step("EXPECTEDCOMPRESSION", broken) is False and run_step("EXPECTEDVERIFY", broken) is False


@pytest.mark.parametrize(("path", "step", "expected"), _cases())
def test_dcc_vector(path: Path, step: str, expected: bool):
    case = json.loads(path.read_text(encoding="utf-8"))
    if step == "EXPECTEDPICTUREDECODE" and "2DCODE" not in case:
        pytest.skip("no 2DCODE image in this file: nothing to decode")
    assert run_step(step, case) is expected, case["TESTCTX"].get("DESCRIPTION", "")


CHAIN_FILES = [
    pytest.param(p, id=f"{p.relative_to(TESTDATA).parts[0]}/{p.stem}") for p in FILES
    if all(json.loads(p.read_text(encoding="utf-8")).get("EXPECTEDRESULTS", {}).get(k) is True
           for k in ("EXPECTEDUNPREFIX", "EXPECTEDB45DECODE", "EXPECTEDVERIFY"))
]


@pytest.mark.parametrize("path", CHAIN_FILES)
def test_our_badge_verifier_with_the_dcc_prefix_gets_through_transport_and_signature(path: Path):
    """The same Verifier that checks badges, given prefix HC1:, stops only at the claims (not a badge)."""
    from services.credential.badges.lists import TrustList
    from services.credential.badges.verifier import Verifier

    case = json.loads(path.read_text(encoding="utf-8"))
    trust = TrustList(issuer="DCC", issued_at=0, expires_at=2**40, keys=_trusted(case))
    result = Verifier(trust, None, prefix=DCC_PREFIX, strict=False).verify(case["PREFIX"])
    # Past transport and signature (a malformed verdict names the key id only then), refused at the claims:
    # a DCC payload has no badge claim, and most are not in our claims' deterministic encoding and data model.
    assert result.verdict == "malformed" and result.key_id is not None, result.reason
