"""One command table makes the dialogue's aliases, Telegram's menu, the WeChat menu and /help."""
import pytest

from handlers import command_table
from handlers.command_table import CommandTableError, parse
from handlers.dialogue import MENU_KEYS, load_features
from handlers.registry import COMMANDS, parse_command
from integrations.telegram import MENU_COMMANDS
from integrations.wechat import MENU


def test_every_menu_and_help_entry_is_a_command_the_dialogue_handles() -> None:
    load_features()
    table = command_table.table()
    assert [name for name, _ in MENU_COMMANDS["en"]] == [name for name, _ in MENU_COMMANDS["zh"]]
    assert {name for name, _ in MENU_COMMANDS["en"]} <= set(COMMANDS)
    assert set(MENU_KEYS.values()) <= set(COMMANDS)
    keys = [e["key"] for b in MENU["button"] for e in [b, *b.get("sub_button", [])] if "key" in e]
    assert keys and all(MENU_KEYS[k] in COMMANDS for k in keys)
    for entry in table.commands.values():
        # what the table says a command is also called, the dialogue reads so ("?" alone: see faq)
        for alias in (a for a in entry.aliases if a.strip("?？")):
            found = parse_command(alias)
            assert found is not None and found[0].name == entry.name, alias


async def test_the_help_text_shows_the_tables_command_list(chat) -> None:
    await chat.send("/lang en")
    await chat.send("/help")
    assert command_table.table().help_list("en") in chat.text
    await chat.send("/lang zh")
    await chat.send("帮助")
    assert command_table.table().help_list("zh") in chat.text


@pytest.mark.parametrize("data,says", [
    ({"telegram_menu": ["nope"]}, "telegram_menu names 'nope'"),
    ({"a": {"menu": {"en": "A"}}}, "[a] menu needs en and zh"),
    ({"a": {"colour": "red"}}, "[a] has unknown entries colour"),
    ({"a": {}, "wechat_menu": [{"name": "A", "command": "a"}]}, "names a command without wechat_key"),
    ({"a": {"wechat_key": "A"}, "wechat_menu": [{"name": str(i), "command": "a"} for i in range(4)]},
     "WeChat allows 3 buttons"),
])
def test_a_broken_table_is_refused_with_what_is_wrong(data, says) -> None:
    with pytest.raises(CommandTableError) as err:
        parse(data)
    assert says in str(err.value)
