"""The QR image of a binding code, for `etp-bot factories code FACTORY_ID --qr FILE.svg|png`
(segno; SVG or PNG by the file's suffix).

- `wechat`: a WeChat parameter QR code (`qrcode/create`, `QR_STR_SCENE`) whose scene is the code.
  Scanned with WeChat, it opens the Official Account; following it (`subscribe` with
  `qrscene_CODE`) or, for a follower, the scan itself (`SCAN`) binds the account. WeChat keeps
  such a code at most 30 days.
- `text`: a plain QR code of the text `/bind CODE`, for Telegram and terminal users (a phone's
  camera shows the text, to copy into the chat).
"""
from __future__ import annotations

from pathlib import Path

from bot.core.errors import UserError

KINDS = {".svg": "svg", ".png": "png"}
WECHAT_MAX_SECONDS = 30 * 24 * 3600  # WeChat's limit for a temporary parameter QR code


def image_kind(path: str) -> str:
    kind = KINDS.get(Path(path).suffix.lower())
    if kind is None:
        raise UserError(f"--qr needs a file name ending in .svg or .png, not {path!r}")
    return kind


def text_of(code: str) -> str:
    return f"/bind {code}"


async def wechat_url(config, db, secrets, code: str, seconds: int) -> str:
    from integrations.wechat.api import WeChatAPI, WeChatError

    api = WeChatAPI(config, db, secrets)
    try:
        return await api.create_qrcode(code, min(seconds, WECHAT_MAX_SECONDS))
    except (WeChatError, OSError, TimeoutError) as exc:
        raise UserError(f"the code above is issued, but WeChat made no QR code ({exc}); the user can send "
                        f"/bind {code}, or run the command again with --qr-for text") from exc
    finally:
        await api.close()


def write(content: str, path: str) -> None:
    import segno

    qr = segno.make(content, error="m")
    try:
        qr.save(path, kind=image_kind(path), scale=10, border=4)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from exc
