"""An inspector checks badges on a phone: camera, photo, online and offline."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import shot, watch_console
from .world import LI_NA_ID, WANG_FANG_ID, camera_video

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 412, "height": 915}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True}


def sign_in(page, token: str) -> None:
    page.fill("#api-key", token)
    page.click("form.login button[type=submit]")
    page.wait_for_selector("#account >> text=Live checks on")


def test_an_inspector_scans_a_valid_badge_with_the_camera_and_again_with_the_network_cut(district, world, launch, tmp_path):
    browser = launch(camera_video(world.png["valid"], tmp_path / "valid.y4m"))
    context = browser.new_context(**PHONE, permissions=["camera"])
    page = context.new_page()
    problems = watch_console(page)
    page.goto(f"{district.url('credential')}/app/scan")
    page.wait_for_selector("#lists[data-ready=yes]")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)
    sign_in(page, world.tokens["inspector"])

    page.click("#camera")
    page.wait_for_selector("#verdict[data-source=online]", timeout=20000)
    verdict = page.locator("#verdict")
    assert verdict.get_attribute("data-verdict") == "valid"
    assert "VALID" in verdict.inner_text()
    assert page.inner_text("#holder-name") == "李娜"
    assert "yes" in page.inner_text("#holder-binding")
    assert "NOT checked" in page.inner_text("#holder-qualifier")  # valid, but the holder is not yet confirmed
    assert LI_NA_ID not in page.content() and LI_NA_ID[6:14] not in page.content() and "***" not in page.content()
    assert "育婴员证 Infant care certificate" in page.inner_text("#holder")
    assert page.inner_text("#holder-roles") == "育婴员 Infant caregiver"
    page.fill("#id-number", LI_NA_ID)
    page.click("#check-id")
    page.wait_for_selector("#verdict[data-source=online][data-holder-check=match]", timeout=20000)
    assert page.get_attribute("#verdict", "data-verdict") == "valid"
    assert page.is_visible("#holder-confirmed") and not page.is_visible("#holder-qualifier")
    assert page.get_attribute("#id-result", "data-match") == "true"
    shot(page, "scanner-valid-online")

    # The network goes: the phone is offline and the server is down.
    context.set_offline(True)
    district.processes["credential"].stop()
    try:
        page.reload()
        page.wait_for_selector("#lists[data-ready=yes]")
        assert page.get_attribute("#lists-source", "data-source") == "cached"
        assert "old" in page.inner_text("#lists")
        page.click("#camera")
        page.wait_for_selector("#verdict[data-verdict]", timeout=20000)
        assert page.get_attribute("#verdict", "data-verdict") == "valid"
        assert page.get_attribute("#verdict", "data-source") == "offline"
        assert page.inner_text("#holder-name") == "李娜"
        page.fill("#id-number", LI_NA_ID)
        page.click("#check-id")
        page.wait_for_selector("#verdict[data-holder-check=match]", timeout=20000)
        assert page.get_attribute("#verdict", "data-verdict") == "valid"
        assert "Status as of" in page.inner_text("#status-as-of")
        assert "Offline" in page.inner_text("#account")  # the key is kept for when the network is back
        assert page.evaluate("sessionStorage.getItem('carecred.apiKey')") == world.tokens["inspector"]
        shot(page, "scanner-valid-offline")
    finally:
        context.set_offline(False)
        district.processes["credential"].start()
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems


def test_a_revoked_badge_shows_red(district, world, launch, tmp_path):
    browser = launch()
    page = browser.new_context(**PHONE).new_page()
    problems = watch_console(page)
    page.goto(f"{district.url('credential')}/app/scan")
    page.wait_for_selector("#lists[data-ready=yes]")
    photo = tmp_path / "revoked.png"
    photo.write_bytes(world.png["revoked"])
    page.set_input_files("#file", str(photo))
    page.wait_for_selector("#verdict[data-verdict]", timeout=20000)
    assert page.get_attribute("#verdict", "data-verdict") == "revoked"
    assert "REVOKED" in page.inner_text("#verdict")
    colour = page.eval_on_selector("#verdict", "e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(176, 0, 32)", colour
    assert page.inner_text("#holder-name") == "张伟"
    shot(page, "scanner-revoked")
    assert not [p for p in problems if "Content Security Policy" in p], problems


def test_a_tampered_badge_text_is_invalid(district, world, launch):
    browser = launch()
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{district.url('credential')}/app/scan")
    page.wait_for_selector("#lists[data-ready=yes]")
    text = world.qr["valid"]
    page.fill("#qr-text", text[:-10] + ("0" if text[-10] != "0" else "1") + text[-9:])
    page.click("#verify-text")
    page.wait_for_selector("#verdict[data-verdict]", timeout=20000)
    assert page.get_attribute("#verdict", "data-verdict") in {"invalid_signature", "malformed"}
    assert "INVALID" in page.inner_text("#verdict")
    assert page.is_hidden("#holder")
    shot(page, "scanner-invalid")


RED = "rgb(176, 0, 32)"


def verdict_of(page) -> dict[str, str]:
    return page.eval_on_selector("#verdict", "e => ({verdict: e.dataset.verdict, holder: e.dataset.holderCheck,"
                                             " source: e.dataset.source, colour: getComputedStyle(e).backgroundColor})")


def test_an_id_number_that_is_not_the_holders_turns_the_verdict_red_offline_and_online(district, world, launch):
    browser = launch()
    page = browser.new_context(**PHONE).new_page()
    problems = watch_console(page)
    page.goto(f"{district.url('credential')}/app/scan")
    page.wait_for_selector("#lists[data-ready=yes]")
    page.fill("#qr-text", world.qr["valid"])
    page.fill("#id-number", WANG_FANG_ID)  # a real ID card, of someone else
    page.click("#verify-text")
    page.wait_for_selector("#verdict[data-verdict=holder_mismatch]", timeout=20000)
    seen = verdict_of(page)
    assert seen["holder"] == "mismatch" and seen["source"] == "offline" and seen["colour"] == RED
    assert "NOT THE HOLDER" in page.inner_text("#verdict") and "人证不符" in page.inner_text("#verdict")
    assert "null" not in page.inner_text("#verdict")
    assert page.inner_text("#holder-name") == "李娜"  # whose badge it is
    shot(page, "scanner-holder-mismatch")

    sign_in(page, world.tokens["inspector"])
    page.click("#verify-text")
    page.wait_for_selector("#verdict[data-source=online][data-verdict]", timeout=20000)
    seen = verdict_of(page)
    assert seen["verdict"] == "holder_mismatch" and seen["colour"] == RED
    page.fill("#id-number", LI_NA_ID)
    page.click("#check-id")
    page.wait_for_selector("#verdict[data-source=online][data-holder-check=match]", timeout=20000)
    assert verdict_of(page)["verdict"] == "valid"
    assert not [p for p in problems if "Content Security Policy" in p], problems


def test_offline_the_verdict_shows_the_status_time_and_past_the_maximum_age_status_unknown(district, world, launch):
    browser = launch()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{district.url('credential')}/app/scan")
    page.wait_for_selector("#lists[data-ready=yes]")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)
    signed_at = page.evaluate("() => JSON.parse(localStorage.getItem('carecred.lists')).fetchedAt")
    context.set_offline(True)
    try:
        for hours, verdict, words in ((1, "valid", "Status as of"), (13, "status_unknown", "too old")):
            page.clock.set_fixed_time(dt.datetime.fromtimestamp(signed_at / 1000 + hours * 3600, dt.UTC))
            page.reload()
            page.wait_for_selector("#lists[data-ready=yes]")
            assert page.get_attribute("#lists-source", "data-source") == "cached"
            page.fill("#qr-text", world.qr["valid"])
            page.fill("#id-number", LI_NA_ID)
            page.click("#verify-text")
            page.wait_for_selector(f"#verdict[data-verdict={verdict}]", timeout=20000)
            assert words in page.inner_text("#status-as-of"), page.inner_text("#verdict")
            assert verdict_of(page)["holder"] == "match"
            if verdict == "status_unknown":
                assert "STATUS UNKNOWN" in page.inner_text("#verdict") and "TOO OLD" in page.inner_text("#lists")
                assert verdict_of(page)["colour"] != "rgb(15, 123, 58)"  # never the green of valid
            shot(page, f"scanner-offline-{verdict}")
    finally:
        context.set_offline(False)


def test_a_valid_badge_without_an_id_number_says_prominently_that_the_holder_is_not_checked(district, world, launch):
    browser = launch()
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{district.url('credential')}/app/scan")
    page.wait_for_selector("#lists[data-ready=yes]")
    page.fill("#qr-text", world.qr["valid"])
    page.click("#verify-text")
    page.wait_for_selector("#verdict[data-verdict=valid]", timeout=20000)
    assert verdict_of(page)["holder"] == "not_checked"
    qualifier = page.locator("#holder-qualifier")
    assert qualifier.is_visible() and "NOT checked" in qualifier.inner_text()
    assert int(page.eval_on_selector("#holder-qualifier", "e => parseInt(getComputedStyle(e).fontWeight)")) >= 700
