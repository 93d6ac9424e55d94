"""An HTML page read back for the report tests: its tags, headings, figure ids and images.

Shared by test_report.py and test_report_kinds.py.
"""

from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """Collects tags, attributes, headings and figure ids of a page; fails on an element closed out of order."""

    VOID = {"meta", "img", "br", "hr", "link", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.headings: list[str] = []
        self._heading: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag in ("h1", "h2", "h3"):
            self._heading = ""

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()
        if tag in ("h1", "h2", "h3"):
            self.headings.append(self._heading)
            self._heading = None

    def handle_data(self, data):
        if self._heading is not None:
            self._heading += data

    @property
    def figures(self) -> list[str]:
        return [attrs["id"] for tag, attrs in self.tags if tag == "figure"]


def parse_page(text: str) -> Page:
    """``text`` read as a page; every element it opens is closed."""
    page = Page()
    page.feed(text)
    page.close()
    assert page.stack == []  # every element closed
    return page
