"""An inspector checks badges on a phone: camera, photo, online and offline."""

from __future__ import annotations

import pytest

from .conftest import shot, watch_console
from .world import LI_NA_ID, camera_video

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
    assert page.inner_text("#holder-id") == LI_NA_ID[:3] + "*" * 11 + LI_NA_ID[-4:]
    assert LI_NA_ID not in page.content()
    assert "育婴员证 Infant care certificate" in page.inner_text("#holder")
    assert page.inner_text("#holder-roles") == "育婴员 Infant caregiver"
    page.fill("#id-number", LI_NA_ID)
    page.click("#check-id")
    page.wait_for_selector("#id-result[data-match=true]", timeout=20000)
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
        page.wait_for_selector("#id-result[data-match=true]", timeout=20000)
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
