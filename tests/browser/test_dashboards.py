"""HR clerks and the district look at compliance in the browser rather than in JSON."""

from __future__ import annotations

import csv
import io

import pytest

from shared.district import today as district_today

from .conftest import shot, watch_console

pytestmark = pytest.mark.browser
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def sign_in(page, token: str) -> None:
    page.fill("#api-key", token)
    page.click("form.login button[type=submit]")


def test_an_hr_clerk_sees_the_lapsed_certificate_first_and_opens_the_persons_page(district, world, launch):
    page = launch().new_context(**DESKTOP).new_page()
    problems = watch_console(page)
    page.goto(f"{district.url('credential')}/app/hr")
    sign_in(page, world.tokens["hr"])
    page.wait_for_selector("#roster tbody tr")
    rows = page.locator("#roster tbody tr")
    assert rows.count() == 3  # the kindergarten's teachers are another nursery's
    first = rows.nth(0)
    assert "王芳" in first.inner_text()
    assert "健康证 Health certificate expired" in first.inner_text()
    assert "noncompliant" in (first.get_attribute("class") or "")
    assert "NOT compliant" not in rows.nth(1).inner_text()
    # Wang Fang has no hours yet; Zhang Wei is short of hours, so he comes before Li Na who is done
    assert "0 / 72 h" in first.inner_text() and "short by 72 h skills, 40 h ethics" in first.inner_text()
    assert "张伟" in rows.nth(1).inner_text() and "short by 48 h skills, 32 h ethics" in rows.nth(1).inner_text()
    assert "24 / 72 h" in rows.nth(1).inner_text() and "8 / 40 h" in rows.nth(1).inner_text()
    assert "李娜" in rows.nth(2).inner_text() and "complete" in rows.nth(2).inner_text()
    assert page.inner_text("#training-complete") == "1 / 3"
    assert page.inner_text("#nursery-name") == "朱泾镇阳光托育园"
    assert page.inner_text("#rate") == "66.7%"
    assert page.inner_text("#expiring-60") == "1"  # Zhang Wei's health certificate, in 45 days
    assert "张伟" in page.inner_text("#expiring")
    # health and background checks due (policy v2): this district is still on v1, so none; the window changes
    page.select_option("#checks-due-within", "90")
    assert "No check falls due in the next 90 days." in page.inner_text("main")
    # the reminders the webhooks get: the same certificate (its 60-day reminder)
    assert "张伟" in page.inner_text("#upcoming") and "the 60-day reminder" in page.inner_text("#upcoming")
    # the key stays out of the URL and in this tab's session only
    assert world.tokens["hr"] not in page.url
    assert page.evaluate("sessionStorage.getItem('carecred.apiKey')") == world.tokens["hr"]
    assert page.evaluate("localStorage.length") == 0
    shot(page, "hr-roster")

    page.click("#roster >> text=王芳")
    page.wait_for_selector("#person-name")
    assert page.inner_text("#person-name") == "王芳"
    certificates = page.inner_text("#certificates")
    assert "expired" in certificates and "育婴员证" in certificates
    assert "育婴员 Infant caregiver" in page.inner_text("#assignments")
    assert "0 / 72 h" in page.inner_text("#person-training")
    shot(page, "hr-person")
    assert not problems, problems


def test_an_hr_page_refuses_an_inspector_key(district, world, launch):
    page = launch().new_context(**DESKTOP).new_page()
    page.goto(f"{district.url('credential')}/app/hr")
    sign_in(page, world.tokens["inspector"])
    page.wait_for_selector(".login .error:has-text('needs a hr')")
    assert page.evaluate("sessionStorage.getItem('carecred.apiKey')") is None


def test_the_registrar_sees_district_rates_and_exports_them_as_csv(district, world, launch):
    page = launch().new_context(**DESKTOP, accept_downloads=True).new_page()
    problems = watch_console(page)
    page.goto(f"{district.url('credential')}/app/district")
    sign_in(page, world.tokens["registrar"])
    page.wait_for_selector("#overall-rate")
    assert page.inner_text("#overall-rate") == "80.0%"  # 4 of 5: only Wang Fang has a lapsed certificate
    teachers = page.inner_text("#teachers")
    assert "1 of 2 teachers" in teachers and "50.0%" in teachers and "below target" in teachers
    assert page.locator("#nurseries tbody tr").count() == 2
    assert page.inner_text("#training-rate") == "20.0%"  # Li Na, of the five people at work
    shot(page, "district")

    with page.expect_download() as download:
        page.click("#export-csv")
    content = open(download.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][:3] == ["scope", "nursery_id", "name"]
    names = {r[2] for r in rows if r and r[0] == "nursery"}
    assert names == {"朱泾镇阳光托育园", "金山区第一幼儿园"}
    header = rows.index(["training_year", "training_complete_people", "people", "training_completion_rate", "training_as_of"])
    assert rows[header + 1][1:4] == ["1", "5", "0.2"]
    targets = rows.index(["target", "title", "numerator", "denominator", "rate", "target_rate", "met", "on"])
    assert rows[targets + 1][0] == "town_coverage" and rows[targets + 1][2:4] == ["2", "11"]
    assert not problems, problems


def test_the_registrar_sees_the_plans_targets_with_a_trend_by_month(district, world, launch):
    page = launch().new_context(**DESKTOP).new_page()
    problems = watch_console(page)
    page.goto(f"{district.url('credential')}/app/district")
    sign_in(page, world.tokens["registrar"])
    page.wait_for_selector("#targets tbody tr")
    # Two nurseries, opened today: 朱泾镇 and 石化街道 are covered, 9 of the 11 areas are not.
    coverage = page.inner_text("#targets tr[data-target=town_coverage]")
    assert "2 / 11" in coverage and "18.2%" in coverage and "not met" in coverage
    assert "100.0%" in page.inner_text("#targets tr[data-target=inclusive_share]")  # both registered inclusive
    assert "4 / 5" in page.inner_text("#targets tr[data-target=certified_rate]")  # the same figure as above
    assert page.locator("#towns li[data-covered=true]").count() == 2
    assert page.locator("#towns li[data-covered=false]").count() == 9
    page.wait_for_selector("#trend-chart polyline[data-target=town_coverage]", state="attached")
    # The inspections: no visit yet at either open nursery, no random check this month, nothing found.
    assert "0 / 2" in page.inner_text("#targets tr[data-target=inspected_twice]")
    assert f"0 / {district_today().month}" in page.inner_text("#targets tr[data-target=random_checks_monthly]")
    assert "a count to follow" in page.inner_text("#targets tr[data-target=findings_overdue]")
    assert "none this year" in page.inner_text("#random-checks")
    assert page.locator("#trend-chart polyline").count() == 8  # the targets with a share (not the findings count)
    assert page.locator("#trend-chart text:has-text('%')").count() == 5  # the axis
    page.wait_for_selector("#flags h2")
    assert "Nobody." in page.inner_text("#flags")
    shot(page, "district-targets")
    assert problems == []


def test_an_auditor_reads_a_persons_timeline_and_checks_a_proof(district, world, launch):
    page = launch().new_context(**DESKTOP).new_page()
    problems = watch_console(page)
    staff_id = next(iter(world.staff.values()))
    page.goto(f"{district.url('credential')}/app/timeline?staff={staff_id}")
    sign_in(page, world.tokens["auditor"])
    page.wait_for_selector("#timeline tbody tr")
    rows = page.locator("#timeline tbody tr")
    assert rows.nth(0).get_attribute("data-kind") == "registration"
    kinds = {rows.nth(i).get_attribute("data-kind") for i in range(rows.count())}
    assert {"registration", "certificate", "assignment", "badge"} <= kinds
    rows.nth(0).locator("button.proof").click()
    page.wait_for_selector("#timeline tbody tr:first-child .pill.ok")
    first = rows.nth(0).inner_text()
    assert "Staff.Registered" in first and "leaf " in first and " of " in first  # proven in the current tree
    shot(page, "timeline")
    assert problems == []
