"""The dashboard in a real browser: Debian's Chromium, headless, driven by Selenium against a real
``bentoml serve`` — the Musterkreis demo (generated polygons) and Berlin's 447 PLR (real polygons).

Screenshots are saved as test artifacts in ``test-artifacts/`` (or ``$SOZIALRADAR_TEST_ARTIFACTS``).
"""

import os
import re
import shutil
from pathlib import Path

import pytest

from experiments import serve as service
from ml.paths import PROJECT_ROOT
from tests.conftest import served

pytestmark = pytest.mark.xdist_group("demo")

ARTIFACTS = Path(os.environ.get("SOZIALRADAR_TEST_ARTIFACTS", PROJECT_ROOT / "test-artifacts"))


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("Chromium and chromedriver are not installed (python3 dev.py test installs Debian's "
                    "chromium and chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-dev-shm-usage", "--window-size=1400,1500", "--lang=de-DE"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver, condition, timeout=45):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def shot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path


CONTRAST = """
function lum(c){const v=c.match(/[\\d.]+/g).slice(0,3).map(Number).map(x=>{x/=255;return x<=0.03928?x/12.92:
Math.pow((x+0.055)/1.055,2.4)});return 0.2126*v[0]+0.7152*v[1]+0.0722*v[2];}
const out=[];for(const e of document.querySelectorAll(arguments[0])){const s=getComputedStyle(e);
let b=s.backgroundColor,n=e;while(b==='rgba(0, 0, 0, 0)'&&n.parentElement){n=n.parentElement;b=getComputedStyle(n).backgroundColor;}
const a=lum(s.color),c=lum(b);out.push((Math.max(a,c)+0.05)/(Math.min(a,c)+0.05));}return out;"""


def test_dashboard_lists_regions_and_a_click_opens_the_explanation(demo_server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    status, regions = service.call(demo_server, "/regions")
    assert status == 200
    _, warnings = service.call(demo_server, "/early_warning", {"explain": True})
    top = max(warnings["warnings"], key=lambda w: w["probability"])

    browser.get(demo_server + "/dashboard/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "de"
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#regionen tbody tr")) == 53)
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#map path")) == 53)
    assert "53 Gebiete geladen" in browser.find_element(By.ID, "status").text
    # no ranking in this configuration: no rank column, no rank sort, and the list says so
    options = [o.get_attribute("value") for o in browser.find_elements(By.CSS_SELECTOR, "#sortierung option")]
    assert options == ["name", "id"]
    assert "nicht vorgesehen" in browser.find_element(By.ID, "rang-hinweis").text
    # no level for the shortest horizon: no level column, and the list says why instead
    note = browser.find_element(By.ID, "stufen-hinweis")
    heads = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#regionen thead th")]
    if regions["level_note"]:
        assert note.is_displayed() and note.text == regions["level_note"] and "Frühwarnstufe" not in heads
    else:
        assert not note.is_displayed() and "Frühwarnstufe" in heads
    # every control has a label
    for control in browser.find_elements(By.CSS_SELECTOR, "select, input"):
        assert browser.find_elements(By.CSS_SELECTOR, f"label[for='{control.get_attribute('id')}']")
    # the level badges and body text are readable (WCAG AA contrast)
    ratios = browser.execute_script(CONTRAST, ".level, td, #status")
    assert ratios and min(ratios) >= 4.5, min(ratios)
    # the Kreis and the Sozialregionen, summed from the Gemeinden, have pages of their own: linked by level
    levels = [li.text.split(":")[0] for li in browser.find_elements(By.CSS_SELECTOR, "#ebenen-liste li")]
    assert browser.find_element(By.ID, "ebenen").is_displayed() and levels == ["Kreis", "Sozialregion"]
    kreis = regions["elsewhere"][0]
    assert browser.find_element(By.CSS_SELECTOR, f"#ebenen a[data-id='{kreis['region_id']}']").get_attribute(
        "href").endswith(f"/report?region_id={kreis['region_id']}")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#ebenen a")) == len(regions["elsewhere"]) == 8

    # a click on a region opens its explanation
    browser.find_element(By.CSS_SELECTOR, f"button.region[data-id='{top['region_id']}']").click()
    wait(browser, lambda d: top["sentence"][:40] in d.find_element(By.ID, "detail-inhalt").text)
    detail = browser.find_element(By.ID, "detail-inhalt").text
    assert "Warum?" in detail and "Beitrag je Dimension" in detail and "Wahrscheinlichkeit" in detail
    assert ("keine Stufe verfügbar" in detail) == (regions["level_note"] is not None)
    assert browser.find_element(By.ID, "h-detail").text == top["name"]
    assert browser.switch_to.active_element.get_attribute("id") == "h-detail"  # focus moves to the detail
    assert browser.find_element(By.CSS_SELECTOR, f"#map path[data-id='{top['region_id']}']").get_attribute(
        "class") == "selected"
    link = browser.find_element(By.PARTIAL_LINK_TEXT, "Gebietsbericht")
    assert link.get_attribute("href").endswith(f"/report?region_id={top['region_id']}")
    # its Sozialregion is named, and its page a click away
    parent = next(r for r in regions["regions"] if r["region_id"] == top["region_id"])
    up = browser.find_element(By.CSS_SELECTOR, "#detail-inhalt .facts a")
    assert up.text == parent["parent_name"] and up.get_attribute("href").endswith(
        f"/report?region_id={parent['parent_id']}")
    path = shot(browser, "dashboard_musterkreis.png")
    assert path.stat().st_size > 20_000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # keyboard only: search, tab to the region, Enter opens it
    other = next(r for r in regions["regions"] if r["region_id"] != top["region_id"] and r["status_label"])
    search = browser.find_element(By.ID, "suche")
    search.click()
    search.send_keys(other["name"])
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#regionen tbody tr")) == 1)
    focused = browser.switch_to.active_element
    for _ in range(6):
        focused.send_keys(Keys.TAB)
        focused = browser.switch_to.active_element
        if focused.get_attribute("data-id") == other["region_id"]:
            break
    assert focused.get_attribute("data-id") == other["region_id"]
    focused.send_keys(Keys.ENTER)
    wait(browser, lambda d: d.find_element(By.ID, "h-detail").text == other["name"]
         and "Frühwarnstufe" in d.find_element(By.ID, "detail-inhalt").text)

    # the coverage layer: Kita places within reach per place needed, today and in ten years
    from selenium.webdriver.support.ui import Select

    choice = Select(browser.find_element(By.ID, "faerbung"))
    texts = [o.text for o in choice.options]
    assert "Versorgung Kita heute" in texts and "Versorgung Kita in 10 Jahren" in texts
    _, layer = service.call(demo_server, "/coverage_map?type=Kita&horizon=10")
    short = next(r for r in layer["regions"] if r["ratio"] is not None and r["ratio"] < 0.8)
    choice.select_by_visible_text("Versorgung Kita in 10 Jahren")
    wait(browser, lambda d: "Versorgung Kita 2035" in d.find_element(By.ID, "status").text)
    assert "unter 80 % versorgt" in browser.find_element(By.ID, "legende").text
    fill = browser.find_element(By.CSS_SELECTOR, f"#map path[data-id='{short['region_id']}']").get_attribute("fill")
    assert fill == "#c8423b"
    shot(browser, "dashboard_coverage.png")


@pytest.mark.realdata
def test_dashboard_draws_berlins_plr(shared_data, browser, tmp_path):
    from selenium.webdriver.common.by import By

    from experiments.cases import berlin_447_store

    with served(berlin_447_store(shared_data, tmp_path), tmp_path) as base:
        browser.get(base + "/dashboard/")
        wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#regionen tbody tr")) == 447)
        wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#map path")) == 446)
        # without an early-warning model the map is coloured by status class, one PLR lacks a polygon
        assert browser.find_element(By.ID, "faerbung").get_attribute("value") == "status"
        assert "1 ohne Fläche" in browser.find_element(By.ID, "status").text
        legend = browser.find_element(By.ID, "legende").text
        assert "hoch" in legend and "sehr niedrig" in legend
        path = browser.find_element(By.CSS_SELECTOR, "#map path[data-id='01011101']")
        browser.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", path)
        wait(browser, lambda d: "Statusklasse" in d.find_element(By.ID, "detail-inhalt").text)
        detail = browser.find_element(By.ID, "detail-inhalt").text
        assert browser.find_element(By.ID, "h-detail").text == "Stülerstraße"
        assert "kein Frühwarnmodell" in detail
        shot(browser, "dashboard_berlin.png")
        # the region's report from the same service: no models, so no warning, type or forecast — said so
        browser.get(base + "/report?region_id=01011101")
        text = browser.find_element(By.TAG_NAME, "main").text
        assert "Stülerstraße" in text and "Profil nach Dimensionen – Mittel der Planungsräume" in text
        assert "Merkmale im Vergleich" in text
        assert "es ist kein Frühwarnmodell trainiert" in text and "nicht, dass keine Verschlechterung" in text
        # the key figure is the configured population count, named as the catalog names it
        assert re.search(r"Einwohner \(MSS-Stichtag 31\.12\. des Vorjahres\) \d", text), text[:400]
        shot(browser, "report_berlin.png")


@pytest.mark.realdata
def test_dashboard_of_a_county_without_status_index(shared_data, browser, tmp_path):
    """Saarland's 52 Gemeinden from the Zensus 2022, as a county without status indicators builds them: the list
    shows each Gemeinde's Kreis and Sozialraumtyp and no empty status or warning column, filters by Kreis instead of
    by warning level, offers no map colouring without polygons, and a Gemeinde's detail says why there is no
    warning instead of asking for a model that cannot be trained."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from experiments.cases import census_county_store

    with served(census_county_store(shared_data, tmp_path), tmp_path) as base:
        _, listed = service.call(base, "/regions")
        assert len(listed["regions"]) == 52 and all(r["parent_level"] == "kreis" for r in listed["regions"])
        typed = [r for r in listed["regions"] if r["type"] is not None]
        assert typed and all(r["type_description"] for r in typed)
        browser.get(base + "/dashboard/")
        wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#regionen tbody tr")) == 52)
        heads = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#regionen thead th")]
        assert heads == ["Gebiet", "Kennziffer", "Kreis", "Sozialraumtyp"]
        assert not browser.find_element(By.ID, "stufe").is_displayed()
        wait(browser, lambda d: not d.find_element(By.ID, "faerbung").is_displayed())   # no polygons: no colouring
        kreise = Select(browser.find_element(By.ID, "obergebiet"))
        assert browser.find_element(By.ID, "obergebiet").is_displayed() and len(kreise.options) == 1 + 6
        kreis = kreise.options[1]
        members = sum(r["parent_id"] == kreis.get_attribute("value") for r in listed["regions"])
        kreise.select_by_index(1)
        wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#regionen tbody tr")) == members)
        region = next(r for r in typed if r["parent_id"] == kreis.get_attribute("value"))
        browser.find_element(By.CSS_SELECTOR, f"button.region[data-id='{region['region_id']}']").click()
        wait(browser, lambda d: "Sozialraumtyp" in d.find_element(By.ID, "detail-inhalt").text)
        detail = browser.find_element(By.ID, "detail-inhalt").text
        assert f"Typ {region['type']}: {region['type_description']}" in detail
        facts = [dt.text for dt in browser.find_elements(By.CSS_SELECTOR, "#detail-inhalt dt")]
        assert facts == ["Kennziffer", "Kreis", "Sozialraumtyp"] and region["parent_name"] in detail
        assert "kein Statusindex berechnet" in detail and "kein Frühwarnmodell" not in detail
        shot(browser, "dashboard_zensus_saarland.png")
        # the region's report says the same, and compares the Gemeinde with the others of its Kreis
        browser.get(base + f"/report?region_id={region['region_id']}")
        text = browser.find_element(By.TAG_NAME, "main").text
        assert "kein Statusindex berechnet" in text and f"Mittel der Gemeinden ({region['parent_name']})" in text


def test_dashboard_of_an_edition_the_early_warning_has_not_seen(demo_run, demo_settings, browser, tmp_path):
    """A new edition's profiles after the early warning's training (the demo's last year once more as 2026): the
    list shows no warning levels, and a region's detail says that the model was trained on the editions up to 2025
    and what scores the new one — not that the region's values are missing. A typology training on it that refused
    (an input the profiles lack) is named in the detail where the type would be."""
    from selenium.webdriver.common.by import By

    import pandas as pd

    from ml.store import Store

    settings = demo_settings.model_copy(update={"store": demo_settings.store.model_copy(
        update={"path": tmp_path / "store.duckdb"})})
    shutil.copy(demo_settings.store.path, settings.store.path)
    with Store(settings.store.path) as store:
        for name in ("profiles", "model_matrix", "feature_values"):
            frame = store.table(name)
            frame["period"] = frame["period"].astype(str)
            store.replace_table(name, pd.concat([frame, frame[frame["period"] == "2025"].assign(period="2026")],
                                                ignore_index=True))
    from experiments.jobs import JobError, typology_job

    t = settings.training
    typo = settings.model_copy(update={"tracking": settings.tracking.model_copy(update={
        "uri": f"sqlite:///{tmp_path / 'mlflow.db'}"}), "training": t.model_copy(update={
            "typology": t.typology.model_copy(update={"features": ["kein_indikator", "anteil_65plus"]})})})
    with pytest.raises(JobError, match="kein_indikator"):
        typology_job(typo)
    with served(settings, tmp_path) as base:
        _, listed = service.call(base, "/regions")
        assert listed["period"] == "2026" and all(r["warning_level"] is None for r in listed["regions"])
        browser.get(base + "/dashboard/")
        wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#regionen tbody tr")) == 53)
        browser.find_elements(By.CSS_SELECTOR, "#regionen tbody button")[0].click()
        wait(browser, lambda d: "Frühwarn" in d.find_element(By.ID, "detail-inhalt").text)
        detail = browser.find_element(By.ID, "detail-inhalt").text
        assert ("Für 2026 liegt noch keine Frühwarnung vor: das Frühwarnmodell wurde mit den Ausgaben bis 2025 "
                "trainiert") in detail
        assert "fehlende oder gesperrte" not in detail
        assert listed["type_note"].startswith("Die Sozialraumtypen wurden mit den Perioden bis 2025 gebildet; 2026 "
                                              "ordnet erst das nächste Training zu (sozialradar train typology). Das "
                                              "letzte Training der Typisierung am ")
        assert f"Sozialraumtyp\n{listed['type_note']}" in detail
        shot(browser, "dashboard_new_edition.png")
        # the region's page says the same, and that its forecasts are of the stand before the new edition
        browser.get(base + f"/report?region_id={listed['regions'][0]['region_id']}")
        text = browser.find_element(By.TAG_NAME, "main").text
        assert "Für 2026 liegt noch keine Frühwarnung vor" in text
        assert ("Prognose vom Stand 2025: die seither veröffentlichten Werte bis 2026 gehen erst in die nächste "
                "Prognose ein (sozialradar forecast)") in text
