"""How wide a text is in DejaVu Sans, so charts can place and thin labels without a font
engine (WeasyPrint sets the text later, in the same font)."""

from __future__ import annotations

FONT = 7.5  # the charts' text size, in user units

# Advance widths of DejaVu Sans (in em) for printable ASCII, from the font's hmtx table:
# text is measured to place and thin labels; other characters count as 0.7 em.
_ASCII_WIDTHS = (
    ".318 .401 .46 .838 .636 .95 .78 .275 .39 .39 .5 .838 .318 .361 .318 .337 .636 .636 .636 "
    ".636 .636 .636 .636 .636 .636 .636 .337 .337 .838 .838 .838 .531 1 .684 .686 .698 .77 .632 "
    ".575 .775 .752 .295 .295 .656 .557 .863 .748 .787 .603 .787 .695 .635 .611 .732 .684 .989 "
    ".685 .611 .685 .39 .337 .39 .838 .5 .5 .613 .635 .55 .635 .615 .352 .635 .634 .278 .278 "
    ".579 .278 .974 .634 .612 .635 .635 .411 .521 .392 .634 .592 .818 .592 .592 .525 .636 .337 "
    ".636 .838"
)
_WIDTH_OF = {chr(32 + i): float(w) for i, w in enumerate(_ASCII_WIDTHS.split())}
BOLD = 1.12  # DejaVu Sans Bold is at most this much wider


def text_width(text: str, size: float = FONT) -> float:
    """The width of ``text`` set in DejaVu Sans at ``size`` (user units)."""
    return size * sum(_WIDTH_OF.get(ch, 0.7) for ch in text)


def fitted(text: str, room: float, size: float = FONT) -> str:
    """``text``, cut with an ellipsis if wider than ``room``."""
    if text_width(text, size) <= room:
        return text
    while text and text_width(text + "…", size) > room:
        text = text[:-1]
    return text.rstrip() + "…"
