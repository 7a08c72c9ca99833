"""Checking an auditor against the register of accredited auditors.

Three ways in: `/auditor NAME, FIRM`; the choice "Check an auditor" (asks for the name, then
checks the next message); and a question phrased as a check ("Is auditor Zhang Wei from SGS
authorised?", "审核员张伟（SGS）是否授权？"), recognised by a narrow matcher so that general
questions about auditors ("how do I know the auditor is genuine?") still reach the FAQ.
"""
from __future__ import annotations

import re

from bot.core.messages import Reply
from bot.services.auditors import check_auditor
from handlers.context import Context, Input
from handlers.core import helpdesk_contacts
from handlers.registry import COMMANDS, Command, command, flow, matcher
from handlers.status.report import fmt_date
from knowledge.text import detect_lang, to_simplified

FLOW = "auditor"

_EN_OK = r"(?:authori[sz]ed|accredited|approved|registered|certified|genuine|legitimate|legit|real|valid|" \
         r"on\s+(?:the|your)\s+(?:list|register))"
_ZH_OK = r"(?:授权|认可|认证|资质|合格|注册|备案|在名单|在名册)"
_QUESTION_PATTERNS = [
    # "is (the) auditor X (from Y) authorised?", "can you check if auditor X is accredited"
    re.compile(rf"^(?:please\s+)?(?:(?:can|could)\s+you\s+)?(?:(?:check|verify|confirm)\s+)?(?:if\s+|whether\s+)?"
               rf"(?:is|are)\s+(?:the\s+|an?\s+)?auditor\s+(?P<q>.+?)\s+(?:an?\s+|really\s+|still\s+|actually\s+)?"
               rf"{_EN_OK}\b", re.IGNORECASE),
    # "is X (from Y) an accredited auditor?"
    re.compile(rf"^(?:is|are)\s+(?P<q>.+?)\s+(?:an?\s+|really\s+)?{_EN_OK}\s+auditors?\b", re.IGNORECASE),
    # "check auditor X from Y"
    re.compile(r"^(?:please\s+)?(?:check|verify)\s+(?:the\s+|an?\s+)?auditor\s+(?P<q>.+)$", re.IGNORECASE),
    # "（SGS的）审核员张伟（SGS）是否授权", "审核员 张伟 是不是认可的"
    re.compile(rf"^(?:请问)?\s*(?:(?:来自)?\s*(?P<firm>[^\s的]+?)\s*的\s*)?审核员\s*(?P<q>[^\s，,。？?].*?)\s*"
               rf"(?:是否|是不是|有没有|有无|是)\s*(?:已经|已|被|获得|经过|有|经)?\s*{_ZH_OK}"),
    # "张伟（SGS）是授权审核员吗", "来自SGS的张伟是不是经过认可的审核员"
    re.compile(rf"^(?:请问)?\s*(?P<q>.+?)\s*(?:是否|是不是|是)\s*(?:为|经过?|获得?)?\s*{_ZH_OK}的?\s*审核员"),
]
# a "name" that is really a question or a pronoun means the message was not a check
_NOT_A_NAME = re.compile(
    r"^(?:who|what|which|how|when|why|where|this|that|these|those|it|they|he|she|him|her|them|my|our|your|their|"
    r"the|any|all|every|someone|somebody)\b|如何|怎么|怎样|什么|哪|谁|吗|这个|那个|他们|她们|我们",
    re.IGNORECASE,
)
_QUERY_PATTERNS = [
    re.compile(r"^(?:来自)?\s*(?P<firm>[^的]+?)\s*的\s*(?:审核员\s*)?(?P<name>.+)$"),  # SGS的张伟
    re.compile(r"^(?P<name>.+?)\s*[（(]\s*(?P<firm>.+?)\s*[)）]$"),  # 张伟（SGS）, Zhang Wei (SGS)
    re.compile(r"^(?P<name>.+?)\s*[,，、/|]\s*(?P<firm>.+)$"),  # Zhang Wei, SGS
    re.compile(r"^(?P<name>.+?)\s*来自\s*(?P<firm>.+)$"),  # 张伟来自SGS
    re.compile(r"^(?P<name>.*?)\s*\b(?:from|of|at|with|working\s+for)\s+(?:the\s+)?"
               r"(?:(?:audit\s+)?(?:firm|company)\s+)?(?P<firm>.+)$", re.IGNORECASE),  # Zhang Wei from (the firm) SGS
]
_TRIM = " \t\"'“”‘’?？.。!！:："


def parse_query(text: str) -> tuple[str, str | None]:
    """(name, firm or None) from "NAME, FIRM", "NAME from FIRM", "NAME (FIRM)", "FIRM的NAME"…"""
    q = text.strip(_TRIM)
    for pattern in _QUERY_PATTERNS:
        m = pattern.match(q)
        if m:
            return m.group("name").strip(_TRIM), m.group("firm").strip(_TRIM) or None
    return q, None


@matcher
def auditor_question(text: str) -> tuple[Command, str] | None:
    text = to_simplified(text.strip())  # the patterns are written in Simplified Chinese
    for pattern in _QUESTION_PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        name, firm = parse_query(m.group("q"))
        firm = firm or (m.groupdict().get("firm") or None)
        if not name or _NOT_A_NAME.search(name):
            return None
        return COMMANDS["auditor"], f"{name}, {firm}" if firm else name
    return None


@command("auditor")
async def auditor(ctx: Context, arg: str) -> list[Reply]:
    ctx.lang = detect_lang(ctx.incoming.text or "", ctx.contact.lang)
    name, _ = parse_query(arg)
    if not name:
        ctx.start_flow(FLOW, "name")
        return [ctx.reply("auditor.ask")]
    return await _check(ctx, arg)


@flow(FLOW)
async def auditor_step(ctx: Context, inp: Input) -> list[Reply]:
    ctx.end_flow()
    text = inp.text.strip()
    if text.endswith(("?", "？")) or len(text.split()) > 6:
        return await COMMANDS["faq"].handler(ctx, text)  # a question, not a name
    ctx.lang = detect_lang(text, ctx.contact.lang)
    return await _check(ctx, text)


async def _check(ctx: Context, text: str) -> list[Reply]:
    name, firm = parse_query(text)
    if not name:
        ctx.start_flow(FLOW, "name")
        return [ctx.reply("auditor.ask")]
    result = await check_auditor(ctx.session, name, firm, ctx.services.today())
    lang, email = ctx.lang, ctx.kb.facts.contacts.integrity.email
    sep = "、" if lang == "zh" else ", "
    if result.outcome == "empty_register":
        return [Reply(ctx.t("auditor.empty", **helpdesk_contacts(ctx)))]
    if result.outcome in ("confirmed", "expired"):
        first = result.auditors[0]
        shown = first.name_zh if lang == "zh" and first.name_zh else first.name
        firms = sep.join(a.firm for a in result.auditors)
        if result.outcome == "expired":
            return [Reply(ctx.t("auditor.expired", name=shown, firms=firms, date=fmt_date(first.valid_until, lang),
                                email=email))]
        ends = [a.valid_until for a in result.auditors]
        until = ctx.t("auditor.until", date=fmt_date(ends[0], lang)) if len(ends) == 1 and ends[0] else ""
        return [Reply(ctx.t("auditor.confirmed", name=shown, firms=firms, until=until))]
    who = ctx.t("auditor.who_of", name=name, firm=firm) if firm else name
    text = ctx.t("auditor.not_listed", who=who, email=email)
    if result.firms:
        text += "\n" + ctx.t("auditor.firms", firms=sep.join(result.firms))
    return [Reply(text)]
