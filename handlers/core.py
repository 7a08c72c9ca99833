"""Greeting, menu, help, language and cancel: the commands every channel shares."""
from __future__ import annotations

import re

from bot.core.messages import Choice, Reply
from handlers import command_table
from handlers.context import Context
from handlers.registry import COMMANDS, Command, command, matcher
from knowledge.text import detect_lang

MENU_ITEMS = {"faq": "menu.faq", "status": "menu.status", "helpline": "menu.helpline", "report": "menu.report",
              "human": "menu.human", "lang": "menu.lang"}


def main_menu(ctx: Context) -> Reply:
    return Reply(ctx.t("menu_title"), tuple(Choice(name, ctx.t(key)) for name, key in MENU_ITEMS.items()))


def lang_choices() -> tuple[Choice, ...]:
    return (Choice("lang:en", "English"), Choice("lang:zh", "中文"))


def helpdesk_contacts(ctx: Context) -> dict[str, str]:
    c = ctx.kb.facts.contacts.helpdesk
    days = c.days_zh if ctx.lang == "zh" else c.days_en
    return {"phone": c.phone, "email": c.email, "hours": f"{days} {c.hours} ({c.timezone})"}


@command("start", interrupts=True)
async def start(ctx: Context, arg: str) -> list[Reply]:
    if arg and "bind" in COMMANDS:  # Telegram deep link /start CODE, WeChat QR scene
        return await COMMANDS["bind"].handler(ctx, arg)
    if ctx.contact.lang is None:
        return [ctx.reply("welcome"), Reply(ctx.t("choose_lang"), lang_choices())]
    return [ctx.reply("welcome"), main_menu(ctx)]


@command("menu", interrupts=True)
async def menu(ctx: Context, arg: str) -> list[Reply]:
    return [main_menu(ctx)]


@command("help", interrupts=True)
async def help_(ctx: Context, arg: str) -> list[Reply]:
    return [Reply(ctx.t("help", commands=command_table.table().help_list(ctx.lang), **helpdesk_contacts(ctx)))]


@command("lang", interrupts=True)
async def lang(ctx: Context, arg: str) -> list[Reply]:
    choice = arg.strip().lower()
    if choice in ("en", "english", "英文", "英语"):
        ctx.set_lang("en")
    elif choice in ("zh", "cn", "chinese", "中文", "汉语", "zh-cn", "zh-hans"):
        ctx.set_lang("zh")
    else:
        return [Reply(ctx.t("choose_lang"), lang_choices())]
    return [ctx.reply("lang_set"), main_menu(ctx)]


@command("english", interrupts=True)
async def english(ctx: Context, arg: str) -> list[Reply]:
    return await lang(ctx, "en")


@command("chinese", interrupts=True)
async def chinese(ctx: Context, arg: str) -> list[Reply]:
    return await lang(ctx, "zh")


@command("cancel", interrupts=True)
async def cancel(ctx: Context, arg: str) -> list[Reply]:
    # the dialogue has already ended the flow (and deleted its draft); say whether there was one
    return [ctx.reply("cancelled" if ctx.left_flow else "nothing_to_cancel"), main_menu(ctx)]


_THANKS = re.compile(
    r"^(ok(ay)?|thanks?( you)?|thx|ty|great|got it|noted|understood|cool|good|fine|bye|goodbye|"
    r"(ok|okay) thanks?( you)?|thanks? a lot|many thanks|"
    r"谢谢(你|您)?|多谢|感谢|好的?|好滴|嗯+|哦+|收到|明白(了)?|知道了|了解|再见|拜拜)[\s!！.。~～👍🙏]*$",
    re.IGNORECASE,
)


@command("thanks")
async def thanks(ctx: Context, arg: str) -> list[Reply]:
    ctx.lang = detect_lang(ctx.incoming.text or "", ctx.contact.lang)
    return [ctx.reply("you_are_welcome")]


@matcher
def small_talk(text: str) -> tuple[Command, str] | None:
    """"Thanks", "ok", "好的" outside a flow: a polite word, not an unanswerable question."""
    return (COMMANDS["thanks"], "") if _THANKS.match(text.strip()) else None
