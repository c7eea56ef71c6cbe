"""The EU DCC public test vectors check our verifier's transport and signature steps.

Every JSON file under the country folders and ``common`` is a test case; each expected
boolean among the steps below must match what our decoder (with the prefix ``HC1:``) finds.
Skipped on purpose: the COVID payload's schema, JSON and key-usage steps
(EXPECTEDSCHEMAVALIDATION, EXPECTEDVALIDJSON, EXPECTEDKEYUSAGE) and EXPECTEDENCODE (building
CBOR from the COVID JSON, an issuing step of theirs). EXPECTEDVALIDOBJECT is taken as "the
whole chain from the prefixed text decodes to a COSE_Sign1 whose payload is a CWT claims map".
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
FILES = sorted(p for p in TESTDATA.glob("*/2DCode/raw/*.json"))


def _cases() -> list[object]:
    cases = []
    for path in FILES:
        expected = json.loads(path.read_text(encoding="utf-8")).get("EXPECTEDRESULTS", {})
        for step in STEPS:
            if step in expected:
                name = f"{path.relative_to(TESTDATA).parts[0]}/{path.stem}-{step.removeprefix('EXPECTED').lower()}"
                cases.append(pytest.param(path, step, expected[step], id=name))
    return cases


def _cose_of(case: dict) -> bytes:
    """The COSE bytes: as given, else decoded from the prefixed text."""
    if "COSE" in case:
        return bytes.fromhex(case["COSE"])
    return unwrap(case["PREFIX"], DCC_PREFIX)


def _trusted(case: dict) -> dict[bytes, TrustedKey]:
    """The test's DSC as the only trusted key: kid = first 8 bytes of SHA-256 over the certificate."""
    der = base64.b64decode(case["TESTCTX"]["CERTIFICATE"])
    public_key = x509.load_der_x509_certificate(der).public_key()
    kid = hashlib.sha256(der).digest()[:8]
    return {kid: TrustedKey(kid=kid, algorithm=cose.algorithm_of(public_key), public_key=public_key, valid_from=0)}


def _cwt(case: dict) -> dict:
    claims = loads_exact(cose.parse_sign1(_cose_of(case)).payload)
    assert isinstance(claims, dict)
    return claims


def run_step(step: str, case: dict) -> bool:
    """Our decoder's outcome for one step of one test file (any error means the step failed)."""
    try:
        if step == "EXPECTEDPICTUREDECODE":
            return qr.read_png(base64.b64decode(case["2DCODE"])) == case["PREFIX"]
        if step == "EXPECTEDUNPREFIX":
            return unprefix(case["PREFIX"], DCC_PREFIX) == case["BASE45"]
        if step == "EXPECTEDB45DECODE":
            raw = b45decode(case["BASE45"])
            if "COMPRESSED" in case:
                return raw == bytes.fromhex(case["COMPRESSED"])
            return inflate(raw) == bytes.fromhex(case["COSE"])
        if step == "EXPECTEDCOMPRESSION":
            return inflate(bytes.fromhex(case["COMPRESSED"])) == bytes.fromhex(case["COSE"])
        if step == "EXPECTEDVERIFY":
            return check_signature(_cose_of(case), _trusted(case)).verdict is None
        if step == "EXPECTEDEXPIRATIONCHECK":
            claims = _cwt(case)
            clock = dt.datetime.fromisoformat(case["TESTCTX"]["VALIDATIONCLOCK"])
            return time_verdict(claims.get(6), claims.get(4), int(clock.timestamp()), skew=0) is None
        if step == "EXPECTEDDECODE":
            claims = _cwt(case)
            hcert = claims[-260][1]
            given = loads_exact(bytes.fromhex(case["CBOR"]))  # some files give the whole CWT, most the hcert
            return isinstance(hcert, dict) and given in (hcert, claims)
        if step == "EXPECTEDVALIDOBJECT":
            return isinstance(loads_exact(cose.parse_sign1(unwrap(case["PREFIX"], DCC_PREFIX)).payload), dict)
    except (ValueError, KeyError, TypeError, IndexError, AssertionError) as exc:
        print(f"{step}: {type(exc).__name__}: {exc}")
        return False
    raise AssertionError(f"unknown step {step}")


def test_every_country_folder_and_common_is_covered():
    folders = {p.relative_to(TESTDATA).parts[0] for p in FILES}
    assert "common" in folders and len(folders) >= 8, folders
    assert len(FILES) >= 70


@pytest.mark.parametrize(("path", "step", "expected"), _cases())
def test_dcc_vector(path: Path, step: str, expected: bool):
    case = json.loads(path.read_text(encoding="utf-8"))
    if step == "EXPECTEDPICTUREDECODE" and "2DCODE" not in case:
        pytest.skip("no 2DCODE image in this file")
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
    result = Verifier(trust, None, prefix=DCC_PREFIX).verify(case["PREFIX"])
    assert result.verdict == "malformed" and "badge claim" in result.reason, result.reason
