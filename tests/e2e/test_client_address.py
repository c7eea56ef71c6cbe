"""`carecred serve` believes X-Forwarded-For only from CARECRED_TRUSTED_PROXIES, and an attacker on the
same address as the other service's feed follower cannot lock the follower out (real processes)."""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.request

import pytest

from carecred.services import open_application
from contracts.keys import Role
from shared.auth.keys import new_token
from shared.idnumber import make_valid
from tests.e2e.district_setup import ok
from tests.e2e.processes import District, ServiceProcess, wait_until
from shared.district import today as district_today

LIMIT = 3


def guess(process: ServiceProcess, forwarded_for: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{process.port}/v1/nurseries", headers={
        "Authorization": "Bearer cc_not-a-key", "X-Forwarded-For": forwarded_for})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def district(settings, tmp_path):
    district = District(settings, tmp_path)
    district.issue_service_keys(open_application)
    district.registrar = new_token()
    for service in ("credential", "training"):
        app = open_application(service, settings)
        try:
            app.issue_key(role=Role.REGISTRAR, scope=None, name="bureau", actor={"role": "test"}, token=district.registrar)
        finally:
            app.close()
    yield district
    district.stop_all()


def start_credential(district: District, **env: str) -> ServiceProcess:
    process = ServiceProcess("credential", district.ports["credential"],
                             {**district.env(), "CARECRED_AUTH_FAILURES_PER_MINUTE": str(LIMIT), **env},
                             district.log_dir)
    process.start()
    district.processes["credential"] = process
    return process


def test_forwarded_for_is_ignored_by_default_and_the_feed_follower_is_never_locked_out(district):
    credential = start_credential(district)
    training = district.start("training")
    # One new X-Forwarded-For per guess used to make every guess a new client.
    assert [guess(credential, f"198.51.100.{i}") for i in range(5)] == [401, 401, 401, 429, 429]
    # 127.0.0.1 is now over the limit; the training service's follower reads from there with a valid key.
    nursery = ok(credential.request("POST", "/v1/nurseries", {
        "name": "朱泾一托", "town": "朱泾镇", "ownership": "public", "inclusive": True}, district.registrar))
    staff = ok(credential.request("POST", "/v1/staff", {
        "name": "王芳", "id_number": make_valid("31011619900101555"), "nursery_id": nursery["nursery_id"]},
        district.registrar))
    path = f"/v1/people/{staff['staff_id']}/training/{district_today().year}"
    wait_until(lambda: training.request("GET", path, token=district.registrar)[0] == 200,
               what="the training service to learn the new person through the feed")
    (follower,) = training.get("/ready")["followers"]
    assert follower["error"] is None
    assert guess(credential, "198.51.100.99") == 429  # the attacker is still refused


def test_behind_a_listed_proxy_the_appended_address_is_the_client(district):
    credential = start_credential(district, CARECRED_TRUSTED_PROXIES="127.0.0.1/32")
    assert [guess(credential, f"198.51.100.{i}") for i in range(5)] == [401] * 5  # five clients, one try each
    spoofed = [guess(credential, f"10.9.9.{i}, 203.0.113.7") for i in range(5)]
    assert spoofed == [401, 401, 401, 429, 429]
