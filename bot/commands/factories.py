"""`etp-bot factories import|code [--qr FILE]|bindings|revoke` and `etp-bot auditors import`.

Output never contains chat ids: bindings are shown by their own id, channel and dates.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("factories", help="factory records, binding codes and bindings")
    fsub = p.add_subparsers(dest="factories_command", required=True, metavar="ACTION")
    imp = fsub.add_parser("import", help="create or update factories from a CSV file (all or nothing)")
    imp.add_argument("file", help="CSV: factory_id,name,status,status_since[,name_zh,country,valid_until,…]")
    imp.set_defaults(func=run_import)
    code = fsub.add_parser("code", help="print a new one-time binding code for a factory")
    code.add_argument("factory_id", help="the factory's id, as in the imported CSV's factory_id column")
    code.add_argument("--ttl-days", type=int, help="life of the code in days (default: ETP_CODE_TTL_DAYS)")
    code.add_argument("--qr", metavar="FILE", help="also write a QR code image of the code, FILE.svg or FILE.png: "
                      "a WeChat parameter QR code (scanned in WeChat, it follows the account and binds; WeChat keeps "
                      "it 30 days at most) or a QR code of the text `/bind CODE` (Telegram, terminal)")
    code.add_argument("--qr-for", choices=("wechat", "text"),
                      help="which QR code (default: wechat when WECHAT_APP_ID and WECHAT_APP_SECRET are set, "
                      "else text)")
    code.set_defaults(func=run_code)
    bl = fsub.add_parser("bindings", help="list the chat accounts bound to factories (ids, channels, dates)")
    bl.add_argument("factory_id", nargs="?", help="only this factory")
    bl.add_argument("--active", action="store_true", help="leave out revoked bindings")
    bl.set_defaults(func=run_bindings)
    rv = fsub.add_parser("revoke", help="revoke bindings by id, or every binding of a factory")
    rv.add_argument("binding_ids", nargs="*", type=int, metavar="BINDING_ID",
                    help="bindings to revoke, by the id `etp-bot factories bindings` shows")
    rv.add_argument("--factory", metavar="FACTORY_ID", help="revoke every active binding of this factory")
    rv.set_defaults(func=run_revoke)

    a = sub.add_parser("auditors", help="the register of accredited auditors")
    asub = a.add_subparsers(dest="auditors_command", required=True, metavar="ACTION")
    aimp = asub.add_parser("import", help="replace the register with a CSV file (firm,name[,name_zh,valid_until])")
    aimp.add_argument("file", help="CSV with columns firm,name and optionally name_zh,valid_until (YYYY-MM-DD)")
    aimp.set_defaults(func=run_auditors_import)


def _with_database(work: Callable[[Any, Any, Any], Awaitable[int]], *, secrets: bool = False) -> int:
    """Run `work(db, secrets, config)` against the configured database (created if missing).
    Only commands that hash codes need the secret key (`secrets=True`); the others get None."""
    from bot.core.config import Config, ConfigError
    from bot.core.crypto import Secrets
    from bot.core.db import Database
    from bot.core.errors import UserError
    from bot.core.migrate import upgrade

    try:
        config = Config.from_env()
        config = config.with_secret() if secrets else config
    except ConfigError as exc:
        raise UserError(str(exc)) from exc

    async def main() -> int:
        db = Database(config.database_url)
        try:
            await upgrade(db)
            keys = Secrets.from_config(config) if secrets else None
            return await work(db, keys, config)
        finally:
            await db.close()

    return asyncio.run(main())


def _warn_ignored(parsed) -> None:
    for name in parsed.ignored_columns:
        print(f"etp-bot: warning: column {name!r} is not used by the import and was ignored", file=sys.stderr)


def run_import(args: argparse.Namespace) -> int:
    from bot.core.csvfile import read_path
    from bot.services.factories import parse_factories, upsert_factories

    parsed = parse_factories(read_path(args.file), progress=True)  # every bad row, before any write
    _warn_ignored(parsed)

    async def work(db, secrets, config) -> int:
        async with db.session() as s:
            result = await upsert_factories(s, parsed.rows, progress=True)
        print(f"imported {result.total} factories: {result.created} created, {result.updated} updated")
        return 0

    return _with_database(work)


def run_code(args: argparse.Namespace) -> int:
    from bot.commands import binding_qr
    from bot.core.errors import UserError
    from bot.services.bindings import UnknownFactory, issue_code

    if args.qr:
        binding_qr.image_kind(args.qr)  # a wrong file name before any code is issued

    async def work(db, secrets, config) -> int:
        days = args.ttl_days if args.ttl_days is not None else config.code_ttl_days
        if days < 1:
            raise UserError("--ttl-days must be at least 1")
        qr_for = args.qr_for or ("wechat" if config.wechat_app_id and config.wechat_app_secret else "text")
        if args.qr and qr_for == "wechat" and not (config.wechat_app_id and config.wechat_app_secret):
            raise UserError("--qr-for wechat needs WECHAT_APP_ID and WECHAT_APP_SECRET")
        try:
            async with db.session() as s:
                code = await issue_code(s, secrets, args.factory_id, timedelta(days=days))
        except UnknownFactory as exc:
            raise UserError(f"{exc}; import it first with `etp-bot factories import`") from exc
        print(code, flush=True)
        print(f"one-time code for factory {args.factory_id.strip()}, valid for {days} days; "
              "the user sends /bind CODE (or 绑定 CODE)", file=sys.stderr)
        if args.qr:
            if qr_for == "wechat":
                seconds = days * 86400
                binding_qr.write(await binding_qr.wechat_url(config, db, secrets, code, seconds), args.qr)
                print(f"{args.qr}: WeChat QR code; scanning it in WeChat follows the account and binds it"
                      + (" (WeChat keeps it 30 days, the code lasts longer: after that the user sends /bind CODE)"
                         if seconds > binding_qr.WECHAT_MAX_SECONDS else ""), file=sys.stderr)
            else:
                binding_qr.write(binding_qr.text_of(code), args.qr)
                print(f"{args.qr}: QR code of the text /bind {code}", file=sys.stderr)
        return 0

    return _with_database(work, secrets=True)


def _when(value, timezone: str) -> str:
    """A stored time in the office time zone (ETP_TIMEZONE), as the console shows it, with the zone."""
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z") if value else ""


def run_bindings(args: argparse.Namespace) -> int:
    from bot.core.errors import UserError
    from bot.services.bindings import UnknownFactory, list_bindings

    async def work(db, secrets, config) -> int:
        try:
            async with db.session() as s:
                found = await list_bindings(s, args.factory_id, include_revoked=not args.active)
        except UnknownFactory as exc:
            raise UserError(str(exc)) from exc
        if not found:
            print("no bindings")
            return 0
        rows = [("BINDING", "FACTORY", "CHANNEL", "BOUND", "REVOKED")]
        tz = config.timezone
        rows += [(str(b.id), b.factory_id, b.channel, _when(b.bound_at, tz),
                  f"{_when(b.revoked_at, tz)} by {b.revoked_by}" if b.revoked_at else "") for b in found]
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        for r in rows:
            print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=False)).rstrip())
        return 0

    return _with_database(work)


def run_revoke(args: argparse.Namespace) -> int:
    from bot.core.errors import UserError
    from bot.services.bindings import UnknownFactory, list_bindings, revoke_binding

    if not args.binding_ids and not args.factory:
        raise UserError("give binding ids (see `etp-bot factories bindings`) or --factory FACTORY_ID")

    async def work(db, secrets, config) -> int:
        missing = []
        async with db.session() as s:
            ids = list(args.binding_ids)
            if args.factory:
                try:
                    ids += [b.id for b in await list_bindings(s, args.factory, include_revoked=False)]
                except UnknownFactory as exc:
                    raise UserError(str(exc)) from exc
            for binding_id in ids:
                if await revoke_binding(s, binding_id, by="staff"):
                    print(f"revoked binding {binding_id}")
                else:
                    missing.append(binding_id)
        for binding_id in missing:
            print(f"etp-bot: no active binding {binding_id}", file=sys.stderr)
        if not ids:
            print("no active bindings to revoke")
        return 1 if missing else 0

    return _with_database(work)


def run_auditors_import(args: argparse.Namespace) -> int:
    from bot.core.csvfile import read_path
    from bot.services.auditors import parse_auditors, replace_register

    parsed = parse_auditors(read_path(args.file))
    _warn_ignored(parsed)

    async def work(db, secrets, config) -> int:
        async with db.session() as s:
            count = await replace_register(s, parsed.rows)
        print(f"auditor register replaced: {count} auditors")
        return 0

    return _with_database(work)
