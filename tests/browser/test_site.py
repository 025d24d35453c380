"""The built site in a real browser (Debian's Chromium through Playwright), offline: every
request must stay on 127.0.0.1 (see conftest.py)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from .conftest import ARTIFACTS, CHROMIUM, Site

if not CHROMIUM.exists():
    pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)",
                allow_module_level=True)

TRACKS = ("Foundations", "Training", "Efficiency", "Deployment", "Model families")
REFERENCE = "models/llama-and-open-weight-models"
FALLBACK = "efficiency/quantization-theory"  # a page with math, should the reference go
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}


def topic_with_math(site: Site) -> str:
    return REFERENCE if (site.root / "content" / f"{REFERENCE}.md").exists() else FALLBACK


def heading(page: Any) -> str:
    return str(page.locator("article h1").inner_text()).rstrip("¶")


def open_atlas(page: Any, site: Site) -> dict[str, Any]:
    page.goto(site.url + "atlas/")
    page.wait_for_function("window.olwAtlas && (window.olwAtlas.ready || window.olwAtlas.error)")
    state: dict[str, Any] = page.evaluate("({...window.olwAtlas})")
    assert state["error"] is None
    page.wait_for_function("window.olwAtlas.frames > 0")
    return dict(page.evaluate("({...window.olwAtlas})"))


def test_home_page_renders_with_the_tracks(page: Any, site: Site) -> None:
    page.goto(site.url)
    assert heading(page) == "Open-weight language models"
    for title in TRACKS:
        link = page.locator("article li strong a", has_text=title)
        assert link.count() == 1, title
        assert link.is_visible()


def test_topic_page_typesets_math_and_shows_the_graph_box(page: Any, site: Site) -> None:
    page.goto(site.url + topic_with_math(site) + "/")
    formulas = page.locator("article math")
    assert formulas.count() > 5
    for index in range(3):
        box = formulas.nth(index).bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0
    # MathML, not TeX: Chromium laid out the elements (an unknown element has no such box)
    width = page.evaluate("document.querySelector('article mfrac, article msub, article msup')"
                          ".getBoundingClientRect().width")
    assert width > 0
    text = page.locator("article").inner_text()
    assert "\\frac" not in text and "$$" not in text
    assert not page.locator(".olw-math-error").count()

    box = page.locator(".olw-graph-box")
    assert box.locator("h3", has_text="Canonical graph").is_visible()
    graph = box.locator("figure.olw-local-graph svg")
    assert graph.is_visible()
    assert graph.locator("a").count() >= 2


def test_a_solution_opens_on_click(page: Any, site: Site) -> None:
    page.goto(site.url + topic_with_math(site) + "/")
    solution = page.locator("details.solution").first
    assert solution.get_attribute("open") is None
    body = solution.locator("> :not(summary)").first
    assert not body.is_visible()
    solution.locator("> summary").click()
    assert solution.get_attribute("open") is not None
    assert body.is_visible()


def test_local_graph_links_lead_to_topics(page: Any, site: Site) -> None:
    page.goto(site.url + "foundations/grouped-query-attention/")
    link = page.locator("figure.olw-local-graph a").first
    title = link.locator("title").text_content()
    link.click()
    page.wait_for_load_state()
    assert heading(page) == title


def test_the_atlas_draws_every_topic(page: Any, site: Site) -> None:
    topics = len(list((site.root / "content").glob("*/*.md")))
    data = json.loads((site.root / "site" / "atlas" / "graph.json").read_text("utf-8"))
    state = open_atlas(page, site)
    assert state["nodeCount"] == topics == len(data["nodes"])
    assert state["edgeCount"] == len(data["edges"])
    assert state["drawnCount"] == topics  # the whole graph is in view at first
    assert state["drawnEdges"] == len(data["edges"])
    # the canvas has ink: some pixels differ from the background
    inked = page.evaluate("""() => {
        const c = document.querySelector('.olw-atlas canvas');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
        return n;
    }""")
    assert inked > 1000


def test_atlas_hover_highlights_and_click_opens_the_page(page: Any, site: Site) -> None:
    open_atlas(page, site)
    point = page.evaluate("window.olwAtlas.clientPoint('grouped-query-attention')")
    page.mouse.move(point["x"], point["y"])
    tooltip = page.locator(".olw-atlas-tooltip")
    tooltip.wait_for(state="visible")
    assert "Grouped-query attention" in tooltip.inner_text()
    assert re.search(r"\d+ topics? before it · leads to \d+", tooltip.inner_text())
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url("**/foundations/grouped-query-attention/")
    assert "Grouped-query attention" in heading(page)


def test_atlas_search_selects_a_topic(page: Any, site: Site) -> None:
    open_atlas(page, site)
    page.locator(".olw-atlas-search").fill("rmsnorm")
    page.locator(".olw-atlas-search").press("Enter")
    info = page.locator(".olw-atlas-info")
    info.wait_for(state="visible")
    assert "RMSNorm" in info.inner_text()
    page.locator(".olw-atlas-colour select").select_option("tier")
    assert "Tier 1" in page.locator(".olw-atlas-legend").inner_text()
    info.locator("a").click()
    page.wait_for_url("**/foundations/rmsnorm/")


def test_a_learning_path_lists_its_topics(page: Any, site: Site) -> None:
    page.goto(site.url + "paths/")
    heading = page.locator("article h2", has_text="Deploy a 70B model")
    assert heading.is_visible()
    steps = page.locator("article h2:has-text('Deploy a 70B model') ~ ol").first.locator("li a")
    assert steps.count() == 8
    assert steps.first.inner_text() == "The decoder-only transformer"
    steps.nth(2).click()
    page.wait_for_url("**/foundations/grouped-query-attention/")


def test_search_finds_grouped_query_attention(page: Any, site: Site) -> None:
    page.goto(site.url)
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.locator("input.md-search__input").fill("grouped-query")
    hit = page.locator(".md-search-result__item a[href*='grouped-query-attention']").first
    hit.wait_for(state="visible")
    assert "Grouped-query attention" in hit.inner_text()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_screenshots(page: Any, site: Site, viewport: str) -> None:
    width, height = VIEWPORTS[viewport]
    page.set_viewport_size({"width": width, "height": height})
    ARTIFACTS.mkdir(exist_ok=True)
    shots = {"home": "", "topic": topic_with_math(site) + "/", "atlas": "atlas/"}
    for name, path in shots.items():
        page.goto(site.url + path)
        if name == "atlas":
            page.wait_for_function("window.olwAtlas && window.olwAtlas.frames > 0")
        if name == "topic":  # the first display formula, not the page's header
            page.locator("article math[display=block]").first.evaluate(
                "el => el.scrollIntoView({block: 'center'})")
            page.wait_for_timeout(400)  # Material's header fades to the page title on scroll
        target = ARTIFACTS / f"{name}-{width}x{height}.png"
        page.screenshot(path=str(target))
        assert target.stat().st_size > 10_000
    # the canonical-graph box with its local graph
    page.goto(site.url + shots["topic"])
    page.locator(".olw-graph-box").evaluate("el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(400)
    page.screenshot(path=str(ARTIFACTS / f"graph-box-{width}x{height}.png"))


def test_the_offline_guard_catches_an_outside_request(page: Any, site: Site,
                                                     requests: Any) -> None:
    page.goto(site.url)
    outcome = page.evaluate(
        "fetch('http://203.0.113.7/font.woff2').then(() => 'loaded', () => 'blocked')")
    assert outcome == "blocked"
    assert requests.blocked == ["http://203.0.113.7/font.woff2"]
    requests.blocked.clear()  # seen on purpose: let the fixture's own check pass
    requests.seen[:] = [u for u in requests.seen if not requests.leaves(u)]
