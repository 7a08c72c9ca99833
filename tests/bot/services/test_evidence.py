"""Evidence kept with a case: images re-encoded with no metadata (EXIF, GPS, text chunks), PDFs kept
as they are, other types and oversized files refused; the fetch is an outbox job (retried with the
outbox's backoff, given up when the platform's copy has gone); the file is stored encrypted, is
re-encrypted by key rotation and purged with its case."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import ExifTags, Image, PngImagePlugin
from sqlalchemy import select

from bot.core.crypto import Secrets
from bot.core.metrics import EVIDENCE
from bot.core.models import OutboxMessage
from bot.core.models import outbox as ob
from bot.core.models.cases import Case
from bot.core.models.evidence import GONE, KEPT, PENDING, REFUSED, CaseEvidence
from bot.outbox_worker import OutboxWorker
from bot.services import cases, evidence
from bot.services.contacts import get_or_create_contact
from bot.services.keys import rotate_keys
from bot.services.outbox import RetryLater
from bot.services.retention import purge
from integrations.media_fetch import EvidenceFetcher, Gone, TooLarge
from tests.conftest import SECRET

GPS = {1: "N", 2: (22.0, 32.0, 10.5), 3: "E", 4: (114.0, 3.0, 7.25)}
RED = (200, 30, 30)


def photo(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), orientation: int | None = None) -> bytes:
    """A photo as a phone writes it: the maker, the model and where it was taken in its EXIF."""
    image = Image.new("RGB", size, RED)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Model X9"
    exif[ExifTags.Base.GPSInfo] = GPS
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    out = io.BytesIO()
    extra = {}
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "Dongguan factory dormitory")
        extra["pnginfo"] = info
    image.save(out, fmt, exif=exif, **extra)
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def assert_no_metadata(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert not dict(image.getexif()), "EXIF left in the kept image"
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    for marker in (b"Exif", b"PhoneMaker", b"Model X9", b"Dongguan"):
        assert marker not in data
    assert image.getpixel((1, 1))[:3] == pytest.approx(RED, abs=6)
    return image


@pytest.mark.parametrize("fmt, content_type", [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")])
def test_images_are_kept_without_exif_gps_or_text(fmt: str, content_type: str) -> None:
    original = photo(fmt)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo has GPS
    kept = evidence.clean(original, 10_000_000)
    assert kept.content_type == content_type
    assert_no_metadata(kept.data)


def test_the_photo_stands_as_taken_once_its_orientation_tag_is_gone() -> None:
    kept = evidence.clean(photo(size=(64, 48), orientation=6), 10_000_000)  # 6: turn 90° to view
    assert Image.open(io.BytesIO(kept.data)).size == (48, 64)


def test_pdfs_are_kept_as_they_are_other_types_and_large_files_refused(monkeypatch) -> None:
    assert evidence.clean(PDF, 10_000) == evidence.Kept("application/pdf", PDF)
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    for data in (gif.getvalue(), b"<html><script>alert(1)</script>", b"\xff\xd8\xff\xe0 truncated jpeg"):
        with pytest.raises(evidence.Refused) as refused:
            evidence.clean(data, 10_000)
        assert refused.value.reason == "type"
    with pytest.raises(evidence.Refused) as refused:
        evidence.clean(photo(), 100)
    assert refused.value.reason == "size"
    monkeypatch.setattr(evidence, "MAX_PIXELS", 1000)  # far more pixels than the limit: a bomb
    with pytest.raises(evidence.Refused) as refused:
        evidence.clean(photo(size=(100, 100)), 10_000_000)
    assert refused.value.reason == "size"


# -- the fetch, through the outbox ----------------------------------------------------------------
class Platform:
    """A platform's download: its files by id, errors to raise first."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files, self.errors, self.calls = files, [], []

    async def download(self, platform_id: str, max_bytes: int) -> bytes:
        self.calls.append(platform_id)
        if self.errors:
            raise self.errors.pop(0)
        if platform_id not in self.files:
            raise Gone("expired")
        return self.files[platform_id]


async def open_case_with(runtime, *attachments: dict) -> Case:
    secrets = runtime.services.secrets
    async with runtime.db.session() as s:
        contact = await get_or_create_contact(s, secrets, "wechat", "oEvidence0001")
        report = cases.NewReport(queue="helpline", category="wages", body="pay slip attached", notify="message",
                                 lang="en", attachments=attachments)
        case, _ref = await cases.open_case(s, secrets, report, contact_id=contact.id, now=runtime.services.clock())
    return case


async def rows(runtime) -> list[CaseEvidence]:
    async with runtime.db.session() as s:
        return list((await s.execute(select(CaseEvidence).order_by(CaseEvidence.id))).scalars())


async def job_of(runtime, row: CaseEvidence) -> OutboxMessage:
    async with runtime.db.session() as s:
        return await s.get(OutboxMessage, row.outbox_id)


def worker_for(runtime, platform: Platform, max_bytes: int = 10_000_000) -> OutboxWorker:
    fetcher = EvidenceFetcher(runtime.db, runtime.services.secrets, platform.download, max_bytes=max_bytes)
    return OutboxWorker(runtime.db, runtime.services.secrets, {evidence.media_channel("wechat"): fetcher})


def outcome(channel: str, name: str) -> float:
    return EVIDENCE.labels(channel, name)._value.get()


async def test_a_photo_is_fetched_by_an_outbox_job_and_kept_encrypted_without_metadata(runtime) -> None:
    original = photo()
    await open_case_with(runtime, {"channel": "wechat", "media_id": "MEDIA-1"}, {"channel": "wechat"})
    (row,) = await rows(runtime)  # an attachment with no id (recorded before ids were kept) has nothing to fetch
    assert row.status == PENDING and "MEDIA-1" not in row.platform_id_enc
    platform = Platform({"MEDIA-1": original})
    platform.errors = [RetryLater("network: ClientConnectorError")]
    worker = worker_for(runtime, platform)
    kept_before = outcome("wechat", "kept")

    await worker.deliver_due()
    job = await job_of(runtime, row)
    assert job.status == ob.PENDING and job.attempts == 1 and job.next_attempt_at > runtime.services.clock()
    await worker.deliver_due(now=job.next_attempt_at + timedelta(seconds=1))  # the outbox's backoff, not another

    (row,) = await rows(runtime)
    assert row.status == KEPT and row.content_type == "image/jpeg" and row.platform_id_enc is None
    assert (await job_of(runtime, row)).status == ob.SENT
    assert platform.calls == ["MEDIA-1", "MEDIA-1"]
    assert outcome("wechat", "kept") == kept_before + 1
    stored = row.data_enc
    assert b"PhoneMaker" not in stored.encode() and original[:200] not in stored.encode()
    async with runtime.db.session() as s:
        case = await s.get(Case, row.case_id)
        kept = await evidence.content(s, runtime.services.secrets, case, row.id)
    assert kept.content_type == "image/jpeg" and row.size == len(kept.data)
    assert_no_metadata(kept.data)


async def test_a_photo_gone_from_the_platform_and_a_refused_file_are_recorded_not_retried(runtime) -> None:
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    await open_case_with(runtime, {"channel": "wechat", "media_id": "EXPIRED"}, {"channel": "wechat", "media_id": "GIF"},
                         {"channel": "wechat", "media_id": "HUGE"})
    platform = Platform({"GIF": gif.getvalue()})
    gone_before, type_before = outcome("wechat", "gone"), outcome("wechat", "refused_type")
    big = Platform({})

    async def download(platform_id: str, max_bytes: int) -> bytes:
        if platform_id == "HUGE":
            raise TooLarge()
        return await platform.download(platform_id, max_bytes)

    big.download = download
    await worker_for(runtime, big).deliver_due()
    expired, refused, huge = await rows(runtime)
    assert (expired.status, expired.reason) == (GONE, "expired")
    assert (refused.status, refused.reason) == (REFUSED, "type")
    assert (huge.status, huge.reason) == (REFUSED, "size")
    assert [r.platform_id_enc for r in (expired, refused, huge)] == [None, None, None]
    assert (await job_of(runtime, expired)).status == ob.FAILED
    assert (await job_of(runtime, refused)).status == ob.SENT  # the fetch was done; the file not kept
    assert outcome("wechat", "gone") == gone_before + 1
    assert outcome("wechat", "refused_type") == type_before + 1
    assert all(r.data_enc is None for r in (expired, refused, huge))


async def test_evidence_is_purged_with_its_case_and_re_encrypted_by_key_rotation(runtime, clock) -> None:
    await open_case_with(runtime, {"channel": "wechat", "media_id": "MEDIA-1"})
    await worker_for(runtime, Platform({"MEDIA-1": photo()})).deliver_due()
    (row,) = await rows(runtime)

    new_key = "a-new-secret-key-0123456789abcdefghijklmnop"
    await rotate_keys(runtime.db, Secrets(new_key, (SECRET,)))
    (after,) = await rows(runtime)
    assert after.data_enc != row.data_enc
    assert_no_metadata(evidence.unseal(Secrets(new_key), after.case_id, after.data_enc))

    async with runtime.db.session() as s:
        case = await s.get(Case, row.case_id)
        cases.close(case, clock())
    clock.advance(timedelta(days=400))
    done = await purge(runtime.db, retention_days=365, now=clock())
    assert done.cases == 1
    assert await rows(runtime) == []
    async with runtime.db.session() as s:
        assert await s.get(OutboxMessage, row.outbox_id) is None


async def test_a_follow_up_photo_is_fetched_too_and_belongs_to_its_case_only(runtime) -> None:
    first = await open_case_with(runtime)
    other = await open_case_with(runtime)
    secrets = runtime.services.secrets
    async with runtime.db.session() as s:
        case = await s.get(Case, first.id)
        contact = await get_or_create_contact(s, secrets, "telegram", "5550001")
        await cases.add_reporter_message(s, secrets, case, contact_id=contact.id, body="(photo)",
                                         attachments=[{"channel": "telegram", "file_id": "TG-1"}],
                                         now=runtime.services.clock())
    (row,) = await rows(runtime)
    assert (row.case_id, row.channel, row.status) == (first.id, "telegram", PENDING)
    assert (await job_of(runtime, row)).channel == "telegram-media"
    fetcher = EvidenceFetcher(runtime.db, secrets, Platform({"TG-1": photo("PNG")}).download, max_bytes=10_000_000)
    await OutboxWorker(runtime.db, secrets, {"telegram-media": fetcher}).deliver_due()
    async with runtime.db.session() as s:
        mine = await evidence.content(s, secrets, await s.get(Case, first.id), row.id)
        theirs = await evidence.content(s, secrets, await s.get(Case, other.id), row.id)
    assert mine.content_type == "image/png" and theirs is None
