"""Uploaded images (pure): sniff, bound, decode and re-encode, so that what we store and
serve is a fresh JPEG or PNG of our own making with no metadata of the sender's.

The type is read from the bytes (Pillow's decoders), never from a name or a header. Before
any pixel is decoded the header's dimensions are checked, so a decompression bomb costs a
header read. The EXIF orientation is applied and then every metadata block (EXIF with its
GPS position, XMP, IPTC, comments, colour profile) is left behind: the encoder is given
pixels only. An animated image keeps its first frame.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from enum import StrEnum

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024  # what one upload may weigh
MAX_PIXELS = 40_000_000  # what its header may claim (a 8,000 x 5,000 photo)
ACCEPTED = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
JPEG_QUALITY = 85
MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png"}


class Purpose(StrEnum):
    """What an image is for, and so the box it is fitted into."""

    ATTACHMENT = "attachment"  # on a call, vision or offer
    AVATAR = "avatar"  # a group's icon
    HEADER = "header"  # a group's banner


BOXES = {
    Purpose.ATTACHMENT: (2048, 2048),
    Purpose.AVATAR: (400, 400),
    Purpose.HEADER: (1500, 500),
}


class ImageError(ValueError):
    """An upload we refuse; `code` is the API's stable error code."""

    def __init__(self, *, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Encoded:
    data: bytes
    extension: str  # "jpg" or "png"
    width: int
    height: int

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.extension]


def media_type_of(name: str) -> str | None:
    """The content type of a stored name (ours end in .jpg or .png), else None."""
    return MEDIA_TYPES.get(name.rpartition(".")[2])


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def reencode(data: bytes, purpose: Purpose) -> Encoded:
    """`data` decoded, oriented, fitted into `purpose`'s box and encoded anew (PNG when it
    has transparency, else JPEG).

    Raises:
        ImageError: too many bytes or pixels, not an image, a type we do not take, or
            bytes that do not decode.
    """
    if len(data) > MAX_BYTES:
        raise ImageError(
            code="too_large",
            message=f"an image may be {MAX_BYTES // 2**20} MiB at most",
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=sorted(ACCEPTED))
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise ImageError(
                code="too_many_pixels",
                message=f"an image may have {MAX_PIXELS:,} pixels at most",
            ) from None
        except (UnidentifiedImageError, OSError):
            raise ImageError(
                code="unsupported_media", message="not a JPEG, PNG, WebP or GIF image"
            ) from None
        width, height = image.size
        if width < 1 or height < 1 or width * height > MAX_PIXELS:
            raise ImageError(
                code="too_many_pixels",
                message=f"an image may have {MAX_PIXELS:,} pixels at most ({width}x{height})",
            )
        try:
            image.seek(0)
            image.load()
            oriented = ImageOps.exif_transpose(image)
        except (OSError, ValueError, SyntaxError, EOFError):
            raise ImageError(
                code="undecodable", message="the image's data does not decode"
            ) from None
    alpha = _has_alpha(oriented)
    pixels = oriented.convert("RGBA" if alpha else "RGB")
    pixels.thumbnail(BOXES[purpose], Image.Resampling.LANCZOS)
    fresh = Image.new(pixels.mode, pixels.size)  # no info, no exif: pixels only
    fresh.paste(pixels)
    out = io.BytesIO()
    if alpha:
        fresh.save(out, format="PNG", optimize=True)
    else:
        fresh.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return Encoded(out.getvalue(), "png" if alpha else "jpg", *fresh.size)
