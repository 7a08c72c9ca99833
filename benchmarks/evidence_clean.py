"""The cost of keeping a photo: `bot.services.evidence.clean` (decode, apply the orientation,
re-encode with no metadata) on a phone-sized photo, against a reference in the same process:
decoding the same file alone (what any look at the pixels costs). Also the size of what is kept
against the original, and the same for a PNG screenshot.

    PYTHONPATH=. python benchmarks/evidence_clean.py [--rounds 5] [--megapixels 12]
"""
from __future__ import annotations

import argparse
import io

from PIL import ExifTags, Image
from timing import median_seconds

from bot.services.evidence import clean

GPS = {1: "N", 2: (22.0, 32.0, 10.5), 3: "E", 4: (114.0, 3.0, 7.25)}


def phone_photo(megapixels: float, fmt: str) -> bytes:
    width = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    height = int(width * 3 / 4)
    noise = [Image.effect_noise((width, height), sigma) for sigma in (40, 60, 80)]  # texture, like a photo
    image = Image.merge("RGB", noise)
    exif = Image.Exif()
    exif[ExifTags.Base.Make], exif[ExifTags.Base.Orientation], exif[ExifTags.Base.GPSInfo] = "PhoneMaker", 6, GPS
    out = io.BytesIO()
    image.save(out, fmt, exif=exif, **({"quality": 92} if fmt == "JPEG" else {}))
    return out.getvalue()


def decode(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        image.load()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--megapixels", type=float, default=12.0)
    args = parser.parse_args()
    for fmt in ("JPEG", "PNG"):
        data = phone_photo(args.megapixels if fmt == "JPEG" else 2.0, fmt)
        reference = median_seconds(lambda data=data: decode(data), args.rounds)
        kept_time = median_seconds(lambda data=data: clean(data, 50_000_000), args.rounds)
        kept = clean(data, 50_000_000)
        print(f"{fmt}: {len(data) / 1e6:.1f} MB in, {len(kept.data) / 1e6:.1f} MB kept "
              f"({len(kept.data) / len(data):.2f}x); clean {kept_time * 1000:.0f} ms = "
              f"{kept_time / reference:.1f}x decoding alone ({reference * 1000:.0f} ms), median of {args.rounds}")


if __name__ == "__main__":
    main()
