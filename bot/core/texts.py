"""The dialogue's own words in English and Simplified Chinese (program facts come from the
knowledge base, never from here). Feature modules add their strings with `add_texts`."""
from __future__ import annotations

from typing import Any

LANGS = ("en", "zh")

TEXTS: dict[str, dict[str, str]] = {
    "welcome": {
        "en": "Welcome to the Ethical Supply Chain Program (ICTI Ethical Toy Program) assistant. "
        "Ask me about fees, audits, statuses, Progress Visits or training, or choose from the menu.",
        "zh": "欢迎使用道德供应链计划（ICTI 玩具业道德规范计划）助手。您可以直接提问费用、审核、认证状态、"
        "进度访问或培训等问题，也可以从菜单中选择。",
    },
    "choose_lang": {"en": "Please choose your language / 请选择语言:", "zh": "请选择语言 / Please choose your language:"},
    "menu_title": {"en": "Main menu: what would you like to do?", "zh": "主菜单：请问您需要什么帮助？"},
    "menu.faq": {"en": "Ask a question (FAQ)", "zh": "常见问题"},
    "menu.status": {"en": "My certification status", "zh": "我的认证状态"},
    "menu.helpline": {"en": "Worker helpline", "zh": "工人热线"},
    "menu.report": {"en": "Report an integrity concern", "zh": "举报诚信问题"},
    "menu.human": {"en": "Talk to staff", "zh": "联系人工客服"},
    "menu.lang": {"en": "Language / 语言", "zh": "语言 / Language"},
    "lang_set": {"en": "Language set to English.", "zh": "已切换为中文。"},
    "faq_prompt": {
        "en": "Type your question in your own words, e.g. \"How much is the registration fee?\" "
        "or \"What does Progressing mean?\". Some topics:",
        "zh": "请直接输入您的问题，例如“注册费是多少？”或“Progressing 状态是什么意思？”。常见主题：",
    },
    "help": {
        "en": "I answer questions about the Ethical Supply Chain Program: fees, the five steps to "
        "certification, audits, factory statuses, non-compliances, Progress Visits, Remediation, "
        "training and the Connect platform. I can also show your factory's certification status "
        "(after binding with a code from the program), take a confidential worker-helpline message "
        "or an integrity report, and pass your question to staff.\n\n"
        "Commands: /menu, /status, /bind CODE, /unbind, /auditor NAME, FIRM (is this auditor authorised?), "
        "/helpline, /report, /case REF, /human, /lang en|zh, /cancel.\n\n"
        "Factory Helpdesk: {phone}, {email}, {hours}.",
        "zh": "我可以回答关于道德供应链计划的问题：费用、认证五个步骤、审核、工厂状态、不合规项、进度访问、"
        "整改计划、培训和 Connect 平台。绑定工厂后（使用计划发出的绑定码），我也可以查询您工厂的认证状态；"
        "还可以保密地接收工人热线留言或诚信举报，并把您的问题转交工作人员。\n\n"
        "命令：/menu 菜单、/status 我的状态、/bind 绑定码、/unbind 解除绑定、/auditor 姓名, 机构（核实审核员是否获授权）、"
        "/helpline 工人热线、/report 举报、/case 案件编号、"
        "/human 人工、/lang en|zh 语言、/cancel 取消。\n\n"
        "工厂服务台：{phone}，{email}，{hours}。",
    },
    "cancelled": {"en": "Cancelled. Nothing was sent to staff.", "zh": "已取消，没有发送任何内容给工作人员。"},
    "nothing_to_cancel": {"en": "There is nothing to cancel.", "zh": "当前没有需要取消的操作。"},
    "draft_expired": {
        "en": "Your unfinished message expired after 24 hours and was deleted; nothing was sent.",
        "zh": "您未完成的留言已超过 24 小时，已被删除，没有发送任何内容。",
    },
    "unsupported_kind": {
        "en": "I can only read text messages here. Please type your question.",
        "zh": "这里只能处理文字消息，请直接输入您的问题。",
    },
    "voice_unrecognised": {
        "en": "I could not understand the voice message. Please type your question.",
        "zh": "无法识别这条语音，请输入文字提问。",
    },
    "location_received": {
        "en": "Thanks, I received a location, but I can only answer typed questions. Type /menu to see what I can do.",
        "zh": "已收到位置信息，但我只能回答文字问题。输入“菜单”查看我能做什么。",
    },
    "link_received": {
        "en": "Thanks for the link. I can't open links; please type your question.",
        "zh": "谢谢您的链接。我无法打开链接，请直接输入您的问题。",
    },
    "empty": {"en": "Please type a question, or /menu for the menu.", "zh": "请输入问题，或输入“菜单”查看菜单。"},
    "too_long": {
        "en": "Your message is very long; I read its first {limit} characters.",
        "zh": "您的消息很长，我只读取了前 {limit} 个字符。",
    },
    "rate_limited": {
        "en": "You are sending messages faster than I can answer. Please wait a minute and try again.",
        "zh": "您发送消息太快了，请稍等一分钟再试。",
    },
    "not_available": {
        "en": "This service is not available yet. Please contact the Factory Helpdesk: {phone}, {email}.",
        "zh": "此服务暂未开放。请联系工厂服务台：{phone}，{email}。",
    },
    "you_are_welcome": {
        "en": "You're welcome. Type another question any time, or /menu for the menu.",
        "zh": "不客气。有其他问题可以随时提问，或输入“菜单”查看菜单。",
    },
    "choice_hint": {"en": "Reply with a number or choose:", "zh": "请回复数字或选择："},
}


def add_texts(texts: dict[str, dict[str, str]]) -> None:
    for key, value in texts.items():
        missing = [lang for lang in LANGS if lang not in value]
        if missing:
            raise ValueError(f"text {key!r} lacks {missing}")
        if key in TEXTS:
            raise ValueError(f"text {key!r} defined twice")
        TEXTS[key] = value


def t(key: str, lang: str, **kw: Any) -> str:
    text = TEXTS[key].get(lang) or TEXTS[key]["en"]
    return text.format(**kw) if kw else text
