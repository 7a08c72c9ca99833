"""The Telegram outbox sender (Bot API `sendMessage`), and the inline buttons a reply's choices become."""
from __future__ import annotations

import warnings
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.core.crypto import Secrets
from bot.core.db import Database
from bot.core.messages import Choice, Reply
from bot.services.contacts import find_contact
from bot.services.outbox import RetryLater, Undeliverable
from integrations.text import split_text

CHANNEL = "telegram"
TEXT_LIMIT = 4096
CALLBACK_LIMIT = 64  # bytes of callback_data


# -- choices and buttons ---------------------------------------------------------------------------
def callback_data(choice: Choice) -> str:
    """The choice id itself when it fits Telegram's 64 bytes, else its digest (the dialogue
    resolves it among the choices it offered)."""
    return choice.id if len(choice.id.encode("utf-8")) <= CALLBACK_LIMIT else choice.digest


def keyboard(choices: tuple[Choice, ...]) -> InlineKeyboardMarkup | None:
    if not choices:
        return None
    # numbered like the text channels: typing the number works too
    return InlineKeyboardMarkup([[InlineKeyboardButton(f"{n}. {c.label}", callback_data=callback_data(c))]
                                 for n, c in enumerate(choices, 1)])



def retry_seconds(exc: RetryAfter) -> float:
    """PTB 22 gives an int (deprecated) or a timedelta (PTB_TIMEDELTA=1, the future)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        after = exc.retry_after
    return after.total_seconds() if isinstance(after, timedelta) else float(after)



class TelegramSender:
    """The outbox sender: long texts split at 4,096 characters, choices as inline buttons. A
    destination is a chat id, or `CHAT:TOPIC` for a forum topic (also ETP_STAFF_ALERT_TELEGRAM_CHAT)."""

    def __init__(self, bot: Bot, db: Database, secrets: Secrets) -> None:
        self.bot, self.db, self.secrets = bot, db, secrets

    async def send(self, destination: str, replies: list[Reply], *, kind: str) -> None:
        # The channel queues one reply per outbox row; a reply longer than 4,096 characters is
        # several messages, and a failure after the first part resends the parts already sent.
        chat, _, topic = destination.partition(":")
        chat_id: int | str = int(chat) if chat.lstrip("-").isdigit() else chat
        thread = int(topic) if topic.isdigit() else None
        for reply in replies:
            pieces = split_text(reply.text or "…", TEXT_LIMIT)
            for i, piece in enumerate(pieces):
                markup = keyboard(reply.choices) if i == len(pieces) - 1 else None
                await self._send_one(chat, chat_id, thread, piece, markup)

    async def _send_one(self, chat: str, chat_id: int | str, thread: int | None, text: str,
                        markup: InlineKeyboardMarkup | None) -> None:
        try:
            await self.bot.send_message(chat_id=chat_id, message_thread_id=thread, text=text, reply_markup=markup)
        except Forbidden as exc:  # the user blocked the bot
            await self._mark_blocked(chat)
            raise Undeliverable(str(exc)) from exc
        except RetryAfter as exc:
            raise RetryLater("429 Too Many Requests", after=retry_seconds(exc)) from exc
        except BadRequest as exc:
            if thread is not None and "thread not found" in str(exc).lower():
                return await self._send_one(chat, chat_id, None, text, markup)  # the topic was deleted: General
            raise Undeliverable(str(exc)) from exc  # chat not found, message rejected: sending again will not help
        except (NetworkError, TelegramError) as exc:
            raise RetryLater(type(exc).__name__) from exc

    async def _mark_blocked(self, destination: str) -> None:
        async with self.db.session() as s:
            contact = await find_contact(s, self.secrets, CHANNEL, destination)
            if contact is not None:
                contact.blocked = True


