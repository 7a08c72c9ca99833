"""`etp-bot telegram set-webhook URL` and `etp-bot wechat menu`: one-off platform set-up."""
from __future__ import annotations

import argparse
import asyncio


def register(sub: argparse._SubParsersAction) -> None:
    tg = sub.add_parser("telegram", help="Telegram set-up")
    tsub = tg.add_subparsers(dest="telegram_command", required=True, metavar="ACTION")
    hook = tsub.add_parser(
        "set-webhook", help="register URL (ending in /telegram) with the secret and the command list"
    )
    hook.add_argument("url", help="the public HTTPS address of this server's /telegram endpoint")
    hook.set_defaults(func=run_set_webhook)

    wx = sub.add_parser("wechat", help="WeChat Official Account set-up")
    wsub = wx.add_subparsers(dest="wechat_command", required=True, metavar="ACTION")
    menu = wsub.add_parser("menu", help="create the Official Account's custom menu")
    menu.set_defaults(func=run_wechat_menu)


def run_set_webhook(args: argparse.Namespace) -> int:
    from telegram.error import TelegramError

    from bot.core.config import Config
    from bot.core.errors import UserError
    from integrations.telegram.api import MENU_COMMANDS, failure_line, register_webhook

    config = Config.from_env()
    if not config.telegram_enabled:
        raise UserError("TELEGRAM_BOT_TOKEN is not set")
    if not config.telegram_webhook_secret:
        raise UserError("TELEGRAM_WEBHOOK_SECRET is not set (the webhook refuses updates without it)")
    if not args.url.rstrip("/").endswith("/telegram"):
        raise UserError("the webhook URL must end in /telegram, e.g. https://bot.example.org/telegram")
    try:
        asyncio.run(register_webhook(config, args.url.rstrip("/")))
    except TelegramError as exc:  # one line, never the token
        raise UserError(failure_line(exc, config.telegram_bot_token)) from None
    print(f"webhook set: {args.url.rstrip('/')} (with the secret and {len(MENU_COMMANDS['en'])} commands)")
    return 0


def run_wechat_menu(args: argparse.Namespace) -> int:
    from bot.core.config import Config
    from bot.core.errors import UserError

    config = Config.from_env()
    if not (config.wechat_app_id and config.wechat_app_secret):
        raise UserError("WECHAT_APP_ID and WECHAT_APP_SECRET are needed to create the menu")
    asyncio.run(create_menu(config))
    print("WeChat menu created")
    return 0


async def create_menu(config) -> None:
    import aiohttp

    from bot.core.errors import UserError
    from bot.runtime import build_runtime
    from integrations.wechat import MENU
    from integrations.wechat.api import WeChatAPI, WeChatError

    runtime = await build_runtime(config)  # the access token is shared through the database
    api = WeChatAPI(runtime.config, runtime.db, runtime.services.secrets)
    try:
        await api.create_menu(MENU)
    except WeChatError as exc:  # one line without the AppSecret or the access token
        raise UserError(api.scrub(f"WeChat refused the menu: {exc}")) from None
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise UserError(f"the WeChat API is unreachable ({type(exc).__name__}); run the command again") from None
    finally:
        await api.close()
        await runtime.close()
