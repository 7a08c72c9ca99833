"""The command table (`handlers/commands.toml`), read once: the aliases the dialogue recognises,
Telegram's command menu, the WeChat custom menu and the command list of /help all come from it."""
from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bot.core.texts import LANGS

FILE = Path(__file__).resolve().parent / "commands.toml"
WECHAT_MENU_BUTTONS, WECHAT_MENU_ENTRIES = 3, 5


class CommandTableError(ValueError):
    """commands.toml breaks its rules; the message names the command."""


@dataclass(frozen=True)
class CommandEntry:
    name: str
    aliases: tuple[str, ...] = ()
    prefix_aliases: tuple[str, ...] = ()
    menu: dict[str, str] | None = None  # Telegram's menu description, per language
    help: dict[str, str] | None = None  # how /help writes it, per language
    wechat_key: str | None = None  # the WeChat custom menu's EventKey


@dataclass(frozen=True)
class CommandTable:
    commands: dict[str, CommandEntry]
    telegram_order: tuple[str, ...]
    wechat_layout: tuple[dict, ...]

    def entry(self, name: str) -> CommandEntry:
        try:
            return self.commands[name]
        except KeyError:
            raise CommandTableError(f"{FILE.name}: no [{name}] for the command {name!r}") from None

    def telegram_menu(self, lang: str) -> list[tuple[str, str]]:
        """(command, description) pairs for `setMyCommands`."""
        return [(name, self.commands[name].menu[lang]) for name in self.telegram_order]

    def help_list(self, lang: str) -> str:
        """The commands as /help lists them."""
        parts = [e.help[lang] for e in self.commands.values() if e.help]
        return ("、" if lang == "zh" else ", ").join(parts)

    def wechat_menu(self) -> dict:
        """The body of WeChat's `menu/create`."""
        def click(label: str, command: str) -> dict:
            return {"type": "click", "name": label, "key": self.entry(command).wechat_key}

        buttons = []
        for button in self.wechat_layout:
            if "command" in button:
                buttons.append(click(button["name"], button["command"]))
            else:
                buttons.append({"name": button["name"], "sub_button": [click(*e) for e in button["entries"]]})
        return {"button": buttons}

    def by_wechat_key(self) -> dict[str, str]:
        """EventKey → command, for the WeChat menu's CLICK events."""
        return {e.wechat_key: e.name for e in self.commands.values() if e.wechat_key}


def _langs(where: str, value: object) -> dict[str, str]:
    if not isinstance(value, dict) or any(not isinstance(value.get(lang), str) for lang in LANGS):
        raise CommandTableError(f"{where} needs {' and '.join(LANGS)}")
    return {lang: value[lang] for lang in LANGS}


def parse(data: dict) -> CommandTable:
    commands: dict[str, CommandEntry] = {}
    for name, row in data.items():
        if not isinstance(row, dict):
            continue
        where = f"{FILE.name}: [{name}]"
        unknown = set(row) - {"aliases", "prefix_aliases", "menu", "help", "wechat_key"}
        if unknown:
            raise CommandTableError(f"{where} has unknown entries {', '.join(sorted(unknown))}")
        commands[name] = CommandEntry(
            name, tuple(row.get("aliases", ())), tuple(row.get("prefix_aliases", ())),
            _langs(f"{where} menu", row["menu"]) if "menu" in row else None,
            _langs(f"{where} help", row["help"]) if "help" in row else None,
            row.get("wechat_key"),
        )
    order = tuple(data.get("telegram_menu", ()))
    for name in order:
        if name not in commands or commands[name].menu is None:
            raise CommandTableError(f"{FILE.name}: telegram_menu names {name!r}, which has no menu description")
    layout = tuple(data.get("wechat_menu", ()))
    table = CommandTable(commands, order, layout)
    if len(layout) > WECHAT_MENU_BUTTONS or any(len(b.get("entries", ())) > WECHAT_MENU_ENTRIES for b in layout):
        raise CommandTableError(f"{FILE.name}: WeChat allows {WECHAT_MENU_BUTTONS} buttons of "
                                f"{WECHAT_MENU_ENTRIES} entries")
    for button in table.wechat_menu()["button"]:
        for entry in [button, *button.get("sub_button", [])]:
            if "sub_button" not in entry and not entry["key"]:
                raise CommandTableError(f"{FILE.name}: the WeChat menu entry {entry['name']!r} names a "
                                        "command without wechat_key")
    return table


@functools.cache
def table() -> CommandTable:
    return parse(tomllib.loads(FILE.read_text(encoding="utf-8")))
