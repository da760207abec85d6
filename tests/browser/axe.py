"""axe-core in Chromium: the audit every browser test runs on the pages it opens (the fixtures
`audit` and `axe_source` are in tests/browser/conftest.py)."""

from pathlib import Path

from django.conf import settings

AXE_SOURCE = Path(settings.BASE_DIR, "node_modules", "axe-core", "axe.min.js")
BROKEN_REFERENCES = """() => {
  const broken = [];
  for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls", "aria-errormessage"]) {
    for (const el of document.querySelectorAll(`[${attr}]`)) {
      for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) broken.push(`${el.tagName.toLowerCase()}#${el.id} ${attr}="${id}"`);
      }
    }
  }
  for (const label of document.querySelectorAll("label[for]")) {
    if (!document.getElementById(label.htmlFor)) broken.push(`label for="${label.htmlFor}"`);
  }
  return broken;
}"""


class Audit:
    """Runs axe on page after page and keeps what it finds, so one test reports every page at once."""

    def __init__(self, source):
        self.source = source
        self.found = []

    def __call__(self, page, what):
        # add_script_tag would be refused by the page's Content-Security-Policy; evaluate is not.
        page.evaluate(self.source)
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        for violation in result["violations"]:
            nodes = "\n".join(
                f"    {node['target']}: {node['html'][:160]}\n      " + node["failureSummary"].replace("\n", "\n      ")
                for node in violation["nodes"]
            )
            self.found.append(
                f"{what} ({page.url}): {violation['id']} [{violation['impact']}] {violation['help']}\n{nodes}"
            )

        # axe only flags for review an aria-describedby or label that points at no element.
        for broken in page.evaluate(BROKEN_REFERENCES):
            self.found.append(f"{what} ({page.url}): broken id reference {broken}")

    def assert_clean(self):
        assert not self.found, f"{len(self.found)} axe violation(s):\n" + "\n".join(self.found)
