"""Staff alerts that reach mainland China: e-mail over SMTP (aiosmtplib against an aiosmtpd
server) and a WeCom group robot (aiohttp against a fake webhook), besides the Telegram chat. Each
carries the case number and the queue, never what the reporter wrote, never the receipt; each goes
through the outbox, so a mail server that is down delays the alert and loses nothing."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import update

from bot.core.models import OutboxMessage, utcnow
from bot.core.models import outbox as ob
from bot.services.alerts import EMAIL, WECOM
from integrations import appkeys as K
from tests.fakes.wecom import SEND

from .conftest import outbox_rows, runtime_of
from .test_relay import ALERT_CHAT, WeChatWorker, case_number_of, file_report_on_wechat, metric, wait_until

OPENID = "oAlertWorker000000000000042"
WHAT = "The supervisor keeps our ID cards in his office"


def alerting(config, fake_smtp, fake_wecom):
    return replace(config, alert_smtp_url=fake_smtp.url, alert_email_to=("line@etp.org", "duty@etp.org"),
                   alert_email_from="etp-bot@etp.org", alert_wecom_webhook=fake_wecom.webhook,
                   staff_alert_telegram_chat=ALERT_CHAT)


def secrets_of_the_report(ref: str) -> list[str]:
    return [WHAT, "ID cards", ref, ref.replace("-", ""), OPENID]


async def test_a_new_case_alerts_by_email_wecom_and_telegram_with_its_number_and_queue_only(
        channels_config, serve, wechat_user, fake_wechat, fake_telegram, fake_smtp, fake_wecom) -> None:
    async with serve(alerting(channels_config, fake_smtp, fake_wecom)) as client:
        ref = await file_report_on_wechat(WeChatWorker(wechat_user(client, OPENID), fake_wechat), WHAT)
        number = await case_number_of(client, ref)
        (mail,) = await fake_smtp.wait_for(1)
        await fake_wecom.wait_for(SEND)
        await wait_until(lambda: _sent(fake_telegram))

    expected = f"New helpline case {number}"
    assert mail.mail_from == "etp-bot@etp.org" and mail.rcpt_tos == ["line@etp.org", "duty@etp.org"]
    assert mail.message["Subject"] == expected and mail.text.strip() == expected
    assert fake_wecom.texts() == [expected]
    (robot,) = fake_wecom.calls_to(SEND)
    assert robot == {"msgtype": "text", "text": {"content": expected}}
    assert [m["text"] for m in fake_telegram.messages_to(ALERT_CHAT)] == [expected]
    for secret in secrets_of_the_report(ref):
        assert secret not in mail.raw.decode("utf-8", "replace")
        assert secret not in str(robot)


async def _sent(fake_telegram) -> bool:
    return bool(fake_telegram.messages_to(ALERT_CHAT))


async def _due_now(runtime, channel: str) -> None:
    """Time passes: the outbox's next try of `channel` is due."""
    async with runtime.db.session() as s:
        await s.execute(update(OutboxMessage).where(OutboxMessage.channel == channel, OutboxMessage.status == ob.PENDING)
                        .values(next_attempt_at=utcnow() - timedelta(seconds=1)))


async def test_an_alert_waits_in_the_outbox_while_the_mail_server_is_down(
        wechat_config, serve, wechat_user, fake_wechat, fake_smtp, fake_wecom) -> None:
    await fake_smtp.stop()  # the mail server is down when the case is opened
    fake_wecom.error(45009, "api freq out of limit")  # and the robot is over its 20 messages a minute
    async with serve(alerting(wechat_config, fake_smtp, fake_wecom)) as client:
        runtime = runtime_of(client)
        before = await (await client.get("/metrics")).text()
        ref = await file_report_on_wechat(WeChatWorker(wechat_user(client, OPENID), fake_wechat), WHAT)

        async def tried() -> bool:
            rows = {r.channel: r for r in await outbox_rows(runtime) if r.kind == "alert"}
            return all(c in rows and rows[c].attempts >= 1 and rows[c].status == ob.PENDING for c in (EMAIL, WECOM))

        await wait_until(tried)
        after = await (await client.get("/metrics")).text()
        for channel in (EMAIL, WECOM):
            assert metric(after, "etp_delivery_failures_total", channel=channel, outcome="retry") - metric(
                before, "etp_delivery_failures_total", channel=channel, outcome="retry") == 1
        assert fake_smtp.received == [] and fake_wecom.texts() == []

        await fake_smtp.start()  # back, on the same port
        await _due_now(runtime, EMAIL)
        await _due_now(runtime, WECOM)
        client.app[K.OUTBOX].notify()
        (mail,) = await fake_smtp.wait_for(1)
        await wait_until(lambda: _robot_got(fake_wecom))
        await asyncio.sleep(0.1)
        rows = [r for r in await outbox_rows(runtime) if r.kind == "alert"]
        assert {r.channel: r.status for r in rows} == {EMAIL: ob.SENT, WECOM: ob.SENT}
        number = await case_number_of(client, ref)
    assert mail.text.strip() == fake_wecom.texts()[0] == f"New helpline case {number}"


async def _robot_got(fake_wecom) -> bool:
    return bool(fake_wecom.texts())


async def test_a_wrong_robot_key_is_recorded_as_undeliverable_not_retried(
        wechat_config, serve, wechat_user, fake_wechat, fake_wecom) -> None:
    config = replace(wechat_config, alert_wecom_webhook=fake_wecom.webhook.replace(fake_wecom.key, "wrong-key"))
    async with serve(config) as client:
        await file_report_on_wechat(WeChatWorker(wechat_user(client, OPENID), fake_wechat), WHAT)

        async def failed() -> bool:
            return any(r.kind == "alert" and r.status == ob.FAILED for r in await outbox_rows(runtime_of(client)))

        await wait_until(failed)
        (row,) = [r for r in await outbox_rows(runtime_of(client)) if r.kind == "alert"]
        assert row.attempts == 1 and "93000" in row.last_error and "wrong-key" not in row.last_error
