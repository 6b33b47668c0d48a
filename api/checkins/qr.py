"""QR codes of a check-in's deep link, as PNG (to show on a phone) or SVG (to print)."""

import io

import segno

# Error correction "M" survives a crease or a smudge on a printed poster; a quiet zone of
# 4 modules is what phone cameras expect.
ERROR = "m"
BORDER = 4


def qr_png(link: str, *, scale: int = 8) -> bytes:
    """Return a PNG QR code of `link`."""
    buffer = io.BytesIO()
    segno.make(link, error=ERROR, micro=False).save(buffer, kind="png", scale=scale, border=BORDER)
    return buffer.getvalue()


def qr_svg(link: str, *, scale: int = 8) -> bytes:
    """Return an SVG QR code of `link`."""
    buffer = io.BytesIO()
    segno.make(link, error=ERROR, micro=False).save(
        buffer, kind="svg", scale=scale, border=BORDER, xmldecl=True, title="Heard check-in"
    )
    return buffer.getvalue()
