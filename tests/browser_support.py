"""The browser tests' common checks, run on every page they visit.

``Tab`` wraps a Playwright page of Debian's headless Chromium at one width (1366 px, a
laptop, or 390 px, a phone) and records what the page reports: console errors, uncaught
script errors and Content-Security-Policy violations (a ``securitypolicyviolation``
listener added before any page script runs); ``Tab(browser, device, "dark")`` prefers
the dark colour scheme. ``tab.audit(name)`` then asserts that the page has none of
those, does not scroll sideways
(``document.documentElement.scrollWidth`` within the device width) and has zero axe-core
violations (axe-core from npm, ``node_modules/axe-core``, evaluated through the
DevTools protocol, which the page's CSP does not govern), and saves a full-page
screenshot as ``test-artifacts/screenshots/<name>-<width>.png`` (git-ignored).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
WIDTHS = {"laptop": 1366, "phone": 390}
HEIGHTS = {"laptop": 900, "phone": 844}

_WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' at ' +
                    (e.sourceFile || '') + ':' + (e.lineNumber || 0));
});
"""


def axe_source() -> str:
    """axe-core's source (installed by scripts/test.sh with ``npm ci``)."""
    if not AXE_JS.is_file():
        raise RuntimeError(f"{AXE_JS} is missing: run `npm ci` in {ROOT} (scripts/test.sh does).")
    return AXE_JS.read_text(encoding="utf-8")


class Tab:
    """One browser context (its own cookies) with one page, at ``device`` width."""

    def __init__(self, browser, device: str = "laptop", scheme: str = "light"):
        self.device, self.scheme = device, scheme
        self.width = WIDTHS[device]
        self.context = browser.new_context(color_scheme=scheme,
            viewport={"width": self.width, "height": HEIGHTS[device]},
            is_mobile=device == "phone", has_touch=device == "phone",
            device_scale_factor=1)
        self.context.add_init_script(_WATCH_CSP)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))

    def _console(self, msg) -> None:
        # A form answered 400/409 logs "Failed to load resource": the page shows the
        # error itself, which the tests check; any other console error is a problem.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            self.problems.append(f"console: {msg.text}")

    def goto(self, url: str):
        response = self.page.goto(url)
        status = response.status if response is not None else None
        assert status is not None and status < 500, f"{url} answered {status}"
        return response

    def csp_violations(self) -> list[str]:
        return self.page.evaluate("window.__csp || []")

    def overflow(self) -> int:
        """How many pixels the page is wider than the screen (0 when it fits). Measured
        against the device's width, not ``innerWidth``: a phone browser widens its layout
        viewport to fit a page that overflows."""
        return max(0, self.page.evaluate("document.documentElement.scrollWidth") - self.width)

    def axe_violations(self) -> list[str]:
        """axe-core's violations of this page, one line each (rule, impact, elements)."""
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(axe_source())
        result = self.page.evaluate(
            "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map("
            "v => v.id + ' (' + v.impact + '): ' + v.help + ' -> ' + "
            "v.nodes.slice(0, 5).map(n => n.target.join(' ')).join(' | ')))")
        return list(result)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        dark = "-dark" if self.scheme == "dark" else ""
        path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}-{self.width}{dark}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def audit(self, name: str) -> None:
        """Every page's checks (see the module docstring); ``name`` names the screenshot."""
        self.page.wait_for_load_state("load")
        self.screenshot(name)
        problems = list(self.problems)
        problems += [f"CSP: {v}" for v in self.csp_violations()]
        wide = self.overflow()
        if wide:
            culprits = self.page.evaluate(
                f"[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
                f" > {self.width} + 1).slice(0, 5).map(e => e.tagName.toLowerCase() + "
                "(e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? "
                "'.' + e.className.trim().split(/\\s+/).join('.') : ''))")
            problems.append(f"{wide} px of horizontal overflow at {self.width} px: {culprits}")
        problems += [f"axe: {v}" for v in self.axe_violations()]
        self.problems.clear()
        assert not problems, f"{name} at {self.width} px ({self.scheme}):\n  " + "\n  ".join(problems)

    def close(self) -> None:
        self.context.close()
