"""QR codes of badge texts: alphanumeric mode, error correction Q; PNG, SVG, and reading images back."""

from __future__ import annotations

import io
from pathlib import Path

import qrcode
import qrcode.image.svg
import qrcode.util
from qrcode.constants import ERROR_CORRECT_Q

MAX_VERSION = 15
"""A three-certificate badge must stay at or below this version to scan easily from a phone screen."""


class QrUnreadable(ValueError):
    """No QR code could be read from the image."""


def _code(text: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, box_size=4, border=4)
    # One alphanumeric segment: Base45's alphabet is exactly QR's alphanumeric set.
    code.add_data(qrcode.util.QRData(text.encode("ascii"), mode=qrcode.util.MODE_ALPHA_NUM))
    code.make(fit=True)
    return code


def version(text: str) -> int:
    """The smallest QR version that holds the text at error correction Q."""
    return _code(text).version


def png(text: str) -> bytes:
    image = _code(text).make_image()
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def svg(text: str) -> str:
    image = _code(text).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")


def read_png(data: bytes) -> str:
    """The text of the QR code in an image (PNG, JPEG...), read with zxing-cpp."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise QrUnreadable(f"not an image: {exc}") from None
    results = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    if not results:
        raise QrUnreadable("no QR code found in the image")
    return results[0].text


def read_image(path: str | Path) -> str:
    return read_png(Path(path).read_bytes())
