"""The WeChat Official Account channel: `GET/POST /wechat` (`receive.py`), customer-service and
template messages from the outbox (`send.py`), the API client with its shared access token
(`api.py`). The shape every channel has is in `integrations/channel.py`."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot.core.config import Config, ConfigError
from bot.services.evidence import media_channel
from handlers import command_table
from integrations import appkeys as K
from integrations.channel import serving
from integrations.wechat import media, receive
from integrations.wechat.api import WeChatAPI
from integrations.wechat.crypto import AccountCrypto
from integrations.wechat.receive import IN_FLIGHT, WECHAT, WeChatChannel, answered, make_respond
from integrations.wechat.send import WeChatSender

log = logging.getLogger(__name__)

# The custom menu (`etp-bot wechat menu`): from handlers/commands.toml; clicks send its EventKeys (CONTRACT).
MENU = command_table.table().wechat_menu()


def _crypto(config: Config) -> AccountCrypto | None:
    if not config.wechat_aes_key:
        return None
    if not config.wechat_app_id:
        raise ConfigError("WECHAT_AES_KEY (safe mode) needs WECHAT_APP_ID")
    try:
        return AccountCrypto(config.wechat_token, config.wechat_aes_key, config.wechat_app_id)
    except Exception as exc:
        raise ConfigError("WECHAT_AES_KEY must be the 43-character EncodingAESKey") from exc


MAKE_TOKEN = 'python -c "import secrets; print(secrets.token_hex(16))"'


def token_weakness(token: str) -> str | None:
    """Why a WECHAT_TOKEN is guessable (it alone signs plaintext requests), or None."""
    if len(token) < 16:
        return "shorter than 16 characters"
    classes = {"digit" if c.isdigit() else "lower" if c.islower() else "upper" if c.isupper() else "other"
               for c in token}
    if len(classes) == 1 or len(set(token)) < 4:
        return "made of one kind of character"
    return None


def setup(app: web.Application) -> None:
    config = app[K.CONFIG]
    if not config.wechat_enabled:
        return
    weakness = token_weakness(config.wechat_token)
    if weakness:
        log.warning(f"WECHAT_TOKEN is {weakness} and can be guessed: make one with {MAKE_TOKEN} "
                    "(32 letters and digits) and enter the same in the WeChat console (服务器配置 Token)",
                    extra={"event": "weak_wechat_token"})
    channel = WeChatChannel(config=config, crypto=_crypto(config))
    app[WECHAT] = channel
    app.router.add_get("/wechat", receive.verify)
    app.router.add_post("/wechat", receive.receive)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        runtime = app[K.RUNTIME]
        secrets = runtime.services.secrets
        api = WeChatAPI(config, runtime.db, secrets)
        sender = WeChatSender(api, runtime.db, secrets, template_reminder=config.wechat_template_reminder)
        app[K.SENDERS][media_channel(channel.name)] = media.fetcher(api, runtime.db, secrets, config)
        try:
            async with serving(app, channel, sender=sender, respond=make_respond(secrets), counted=answered,
                               recover_at_start=IN_FLIGHT, recover_every=IN_FLIGHT.total_seconds()):
                yield
        finally:
            await api.close()

    app.cleanup_ctx.append(lifecycle)
