"""The notice rules that need no storage: which URLs a subscription may name, secrets, ids, backoff."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from standardwebhooks.webhooks import Webhook

from services.credential.application.notice_delivery import backoff
from services.credential.domain.notices import pass_id_for, threshold_of, webhook_id_for
from services.credential.domain.webhook_addresses import checked_url, signing_secret
from shared.errors import Invalid
from shared.settings import Settings


@pytest.mark.parametrize("url", [
    "https://hooks.example.com/carecred", "https://hooks.example.com:8443/a?b=c", "https://8.8.8.8/hook",
    "https://[2001:4860:4860::8888]/hook",
])
def test_public_https_urls_are_accepted(url):
    assert checked_url(url, allow_loopback_http=False) == url


@pytest.mark.parametrize(("url", "why"), [
    ("http://hooks.example.com/x", "https"),
    ("https://u:p@hooks.example.com/x", "user name or password"),
    ("https://u@hooks.example.com/x", "user name or password"),
    ("https:///x", "host"),
    ("https://hooks.example.com/x#frag", "fragment"),
    ("https://hooks.example.com:0/x", "port"),
    ("https://hooks.example.com:70000/x", "not a URL"),
    ("https://192.168.1.10/x", "private"),
    ("https://[fe80::1]/x", "private, link-local"),
    ("https://[::ffff:10.0.0.1]/x", "private"),
    ("https://0.0.0.0/x", "private"),
    ("https://127.0.0.1/x", "loopback"),
    ("http://localhost:8080/x", "loopback"),
    ("gopher://hooks.example.com/x", "https"),
])
def test_other_urls_are_refused_naming_the_field(url, why):
    with pytest.raises(Invalid) as refused:
        checked_url(url, allow_loopback_http=False)
    assert refused.value.field == "url" and why in refused.value.detail


def test_loopback_over_http_only_where_the_setting_allows_it():
    for url in ("http://127.0.0.1:9000/hook", "http://localhost/hook", "http://[::1]:80/x", "https://127.0.0.2/x"):
        assert checked_url(url, allow_loopback_http=True) == url
    with pytest.raises(Invalid):
        checked_url("http://10.0.0.1/hook", allow_loopback_http=True)  # loopback only, not any private address


def test_the_signing_secret_is_standard_webhooks_form_derived_per_subscription():
    secret = signing_secret(b"k" * 32, "sub-1", "salt")
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert secret == signing_secret(b"k" * 32, "sub-1", "salt")
    assert len({secret, signing_secret(b"k" * 32, "sub-2", "salt"), signing_secret(b"k" * 32, "sub-1", "pepper"),
                signing_secret(b"j" * 32, "sub-1", "salt")}) == 4
    now = dt.datetime.now(dt.UTC)
    signature = Webhook(secret).sign("msg_1", now, '{"a":1}')
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signature}
    assert Webhook(secret).verify('{"a":1}', headers) == {"a": 1}


def test_the_webhook_id_names_subscriber_type_and_subject():
    one = webhook_id_for("s1", "certificate.due", "certificate:c:2027-01-01:30")
    assert one == webhook_id_for("s1", "certificate.due", "certificate:c:2027-01-01:30") and one.startswith("msg_")
    assert len({one, webhook_id_for("s2", "certificate.due", "certificate:c:2027-01-01:30"),
                webhook_id_for("s1", "certificate.due", "certificate:c:2027-01-01:60"),
                webhook_id_for("s1", "badge.revoked", "certificate:c:2027-01-01:30")}) == 4


def test_a_pass_id_depends_on_the_day_and_which_notices_not_their_order():
    a = {"type": "certificate.due", "subject": "x", "nursery_id": "n1", "data": {}}
    b = {"type": "training.short", "subject": "y", "nursery_id": "n1", "data": {}}
    assert pass_id_for("2026-08-03", [a, b]) == pass_id_for("2026-08-03", [b, a])
    assert len({pass_id_for("2026-08-03", [a, b]), pass_id_for("2026-08-04", [a, b]), pass_id_for("2026-08-03", [a])}) == 3


def test_retries_wait_twice_as_long_each_time_up_to_the_cap():
    settings = Settings.from_env({}, webhook_retry_base_seconds=30, webhook_retry_max_seconds=600)
    assert [backoff(settings, n) for n in range(1, 8)] == [30, 60, 120, 240, 480, 600, 600]


@pytest.mark.parametrize(("days_left", "threshold"), [(0, 30), (30, 30), (31, 60), (60, 60), (61, 90), (90, 90)])
def test_a_certificate_is_told_at_the_threshold_its_days_are_within(days_left, threshold):
    assert threshold_of(days_left) == threshold
