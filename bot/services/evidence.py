"""Evidence kept with a case: photos and documents a reporter sent, fetched from the platform
while its copy still exists (WeChat deletes temporary media after three days) and stored here.

- `track`: called when a case message with attachments is stored (the report sent, or a
  follow-up); one `CaseEvidence` row per attachment and its fetch queued in the outbox in the
  same transaction (channel `<platform>-media`, kind `evidence`: the outbox's claim, retry and
  backoff, nothing of its own).
- `keep`: what the fetch job does with the bytes it got: the type is read from the bytes, not from
  what the platform says: JPEG, PNG and WebP are decoded and encoded again with no metadata
  (EXIF, GPS, XMP, comments and text chunks are gone; the EXIF orientation is applied first, so
  the picture stands as it was taken); PDFs are kept as they are (served as a download, never
  rendered in the console); anything else, or anything over ETP_EVIDENCE_MAX_BYTES, is refused.
- `seal` / `unseal`: the one place evidence is encrypted and decrypted (today with the server key;
  the per-case key of the secrecy issue goes here).
"""
from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image, ImageOps
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import metrics
from bot.core.crypto import Secrets
from bot.core.models.cases import Case, CaseMessage
from bot.core.models.evidence import GONE, KEPT, PENDING, REFUSED, CaseEvidence
from bot.services.outbox import enqueue

log = logging.getLogger(__name__)

KIND = "evidence"  # the outbox rows that fetch evidence
# the attachment field holding the platform's id, per channel (set by the channel in `Incoming.extra`)
PLATFORM_ID = {"wechat": "media_id", "telegram": "file_id"}
MAX_PIXELS = 40_000_000  # larger images are refused (decompression bombs)
JPEG, PNG, WEBP, PDF = "image/jpeg", "image/png", "image/webp", "application/pdf"
KEPT_TYPES = (JPEG, PNG, WEBP, PDF)
_PILLOW_FORMATS = {"JPEG": JPEG, "PNG": PNG, "WEBP": WEBP}


def media_channel(platform: str) -> str:
    """The outbox channel of a platform's fetch jobs (its fetcher is registered under this name)."""
    return f"{platform}-media"


# -- encryption: one function each way -------------------------------------------------------------
def seal(secrets: Secrets, case_id: int, data: bytes) -> str:
    """Encrypt a file kept with case `case_id`."""
    return secrets.encrypt_bytes(data)


def unseal(secrets: Secrets, case_id: int, token: str) -> bytes:
    return secrets.decrypt_bytes(token)


# -- recording ---------------------------------------------------------------------------------------
async def track(session: AsyncSession, secrets: Secrets, case: Case, message: CaseMessage,
                attachments: tuple[dict[str, Any], ...] | list) -> int:
    """Record the attachments of a stored message and queue their fetch; returns how many."""
    queued = 0
    for attachment in attachments:
        platform = str(attachment.get("channel", ""))
        platform_id = attachment.get(PLATFORM_ID.get(platform, ""))
        if not platform_id:
            continue  # a channel that gives no id, or an attachment recorded before ids were kept
        row = CaseEvidence(case_id=case.id, message_id=message.id, channel=platform, status=PENDING,
                           platform_id_enc=secrets.encrypt(str(platform_id)))
        session.add(row)
        await session.flush()
        row.outbox_id = await enqueue(session, secrets, channel=media_channel(platform), destination=str(row.id),
                                      kind=KIND, replies=[], dedupe_key=f"evidence:{row.id}")
        queued += 1
    return queued


@dataclass(frozen=True)
class Kept:
    content_type: str
    data: bytes


class Refused(Exception):
    """Not kept: `reason` is `type` (not JPEG, PNG, WebP or PDF) or `size`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def clean(data: bytes, max_bytes: int) -> Kept:
    """The file as it is kept: images re-encoded without metadata, PDFs as they are (CPU-bound:
    run it in a thread)."""
    if len(data) > max_bytes:
        raise Refused("size")
    if data.startswith(b"%PDF-"):
        return Kept(PDF, data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(_PILLOW_FORMATS)) as image:
                fmt = image.format
                if image.width * image.height > MAX_PIXELS:
                    raise Refused("size")
                image.load()
                upright = ImageOps.exif_transpose(image)
    except (Image.UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError, OSError,
            SyntaxError, ValueError) as exc:
        raise Refused("type") from exc
    out = io.BytesIO()
    # a new image from the pixels alone: nothing of the file's info (EXIF, XMP, ICC, text) comes along
    bare = Image.new(upright.mode, upright.size)
    bare.paste(upright)
    if fmt == "JPEG":
        if bare.mode not in ("RGB", "L"):
            bare = bare.convert("RGB")
        bare.save(out, "JPEG", quality=90, optimize=True)
    elif fmt == "PNG":
        if upright.mode == "P" and upright.getpalette():
            bare.putpalette(upright.getpalette())
        bare.save(out, "PNG", optimize=True)
    else:
        bare.save(out, "WEBP", quality=90)
    cleaned = out.getvalue()
    if len(cleaned) > max_bytes:
        raise Refused("size")
    return Kept(_PILLOW_FORMATS[fmt], cleaned)


async def pending(session: AsyncSession, secrets: Secrets, evidence_id: int) -> tuple[str, str] | None:
    """(platform, platform id) of evidence still to fetch; None when kept, refused, gone or purged."""
    row = await session.get(CaseEvidence, evidence_id)
    if row is None or row.status != PENDING or not row.platform_id_enc:
        return None
    return row.channel, secrets.decrypt(row.platform_id_enc)


async def store(session: AsyncSession, secrets: Secrets, evidence_id: int, kept: Kept, now: datetime) -> None:
    row = await session.get(CaseEvidence, evidence_id)
    if row is None:
        return  # purged with its case meanwhile
    row.status, row.content_type, row.size = KEPT, kept.content_type, len(kept.data)
    row.data_enc = seal(secrets, row.case_id, kept.data)
    row.platform_id_enc, row.fetched_at, row.reason = None, now, None
    metrics.EVIDENCE.labels(row.channel, "kept").inc()
    log.info("evidence kept", extra={"event": "evidence_kept", "channel": row.channel, "bytes": row.size})


async def give_up(session: AsyncSession, evidence_id: int, status: str, reason: str, now: datetime) -> None:
    """Refused (`type`, `size`) or gone from the platform (`expired`, …): nothing is kept."""
    assert status in (REFUSED, GONE)
    row = await session.get(CaseEvidence, evidence_id)
    if row is None:
        return
    row.status, row.reason, row.platform_id_enc, row.fetched_at = status, reason[:64], None, now
    metrics.EVIDENCE.labels(row.channel, f"{status}_{reason}" if status == REFUSED else status).inc()
    log.info("evidence not kept", extra={"event": "evidence_" + status, "channel": row.channel, "reason": reason})


# -- reading ---------------------------------------------------------------------------------------
async def of_case(session: AsyncSession, case: Case) -> list[CaseEvidence]:
    """The case's evidence rows without their data (for the case page)."""
    from sqlalchemy.orm import defer

    found = await session.execute(select(CaseEvidence).where(CaseEvidence.case_id == case.id)
                                  .options(defer(CaseEvidence.data_enc)).order_by(CaseEvidence.id))
    return list(found.scalars())


async def content(session: AsyncSession, secrets: Secrets, case: Case, evidence_id: int) -> Kept | None:
    """A kept file of the case, decrypted; None when the id is not this case's or nothing is kept."""
    row = await session.get(CaseEvidence, evidence_id)
    if row is None or row.case_id != case.id or row.status != KEPT or not row.data_enc:
        return None
    return Kept(row.content_type or "application/octet-stream", unseal(secrets, case.id, row.data_enc))
