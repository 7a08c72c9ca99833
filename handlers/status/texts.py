"""The words of factory accounts in English and Simplified Chinese. Program facts (status names,
validity periods, next steps, contacts) come from the knowledge base, never from here."""
from __future__ import annotations

from bot.core.texts import add_texts

add_texts({
    # -- status ----------------------------------------------------------------------------
    "status.unbound": {
        "en": "No factory is linked to this chat yet, so I cannot show a certification status. "
        "To link your factory, ask the Factory Helpdesk for a binding code ({phone}, {email}, {hours}), "
        "then send it here as /bind CODE (for example /bind ABCD-EFGH).",
        "zh": "此聊天尚未绑定工厂，因此无法显示认证状态。如需绑定，请向工厂服务台索取绑定码（{phone}，{email}，"
        "{hours}），然后在此发送“绑定 绑定码”（例如：绑定 ABCD-EFGH）。",
    },
    "status.factory": {"en": "{name} (factory ID {factory_id})", "zh": "{name}（工厂编号 {factory_id}）"},
    "status.since": {"en": "Status: {status}, since {since}.", "zh": "状态：{status}，自 {since} 起。"},
    "status.valid_until": {
        "en": "Valid until {end}: {days} left.",
        "zh": "有效期至 {end}，还剩 {days}。",
    },
    "status.last_day": {
        "en": "Valid until {end}: today is the last day.",
        "zh": "有效期至 {end}，今天是最后一天。",
    },
    "status.expired": {
        "en": "Your {status} status expired on {end}, {days} ago. Please contact the Factory Helpdesk about "
        "what to do next.",
        "zh": "贵厂的{status}状态已于 {end} 到期（已过 {days}）。请联系工厂服务台了解下一步安排。",
    },
    "status.period_only": {
        "en": "Validity: the {status} period is {months} months; no end date is on record for your factory, "
        "so please ask the Factory Helpdesk for the exact date.",
        "zh": "有效期：{status}期限为 {months} 个月；系统中没有贵厂的具体到期日，请向工厂服务台确认。",
    },
    "status.reapply_from": {
        "en": "You may reapply from {date} (at least {months} months after termination), in {days}.",
        "zh": "贵厂最早可于 {date} 重新申请（终止后至少 {months} 个月），还有 {days}。",
    },
    "status.reapply_now": {
        "en": "You may reapply now: the {months}-month wait after termination ended on {date}.",
        "zh": "贵厂现在即可重新申请：终止后 {months} 个月的等待期已于 {date} 结束。",
    },
    "status.ncs": {"en": "Open non-compliances: {counts}.", "zh": "未关闭的不符合项：{counts}。"},
    "status.ncs_none": {"en": "No open non-compliances.", "zh": "没有未关闭的不符合项。"},
    "status.nc.critical": {"en": "{n} critical", "zh": "严重 {n} 项"},
    "status.nc.major": {"en": "{n} major", "zh": "主要 {n} 项"},
    "status.nc.minor": {"en": "{n} minor", "zh": "轻微 {n} 项"},
    "status.progressing_deadline": {
        "en": "Close the remaining {n} non-compliances before {end}, when the Progressing status lapses.",
        "zh": "请在 {end}（“进展中”状态到期）之前关闭剩余的 {n} 项不符合项。",
    },
    "status.progressing_deadline_unknown": {
        "en": "Close all remaining non-compliances before {end}, when the Progressing status lapses.",
        "zh": "请在 {end}（“进展中”状态到期）之前关闭所有剩余的不符合项。",
    },
    "status.next_steps": {"en": "Next steps: {text}", "zh": "下一步：{text}"},
    "status.menu": {"en": "Main menu", "zh": "主菜单"},
    # -- binding ---------------------------------------------------------------------------
    "bind.ask": {
        "en": "Send your binding code after /bind, for example /bind ABCD-EFGH. No code yet? "
        "Ask the Factory Helpdesk: {phone}, {email}.",
        "zh": "请发送“绑定”加上绑定码，例如：绑定 ABCD-EFGH。还没有绑定码？请联系工厂服务台：{phone}，{email}。",
    },
    "bind.format": {
        "en": "A binding code has 8 letters and digits, like ABCD-EFGH. Please check it and send /bind CODE again.",
        "zh": "绑定码由 8 位字母和数字组成，例如 ABCD-EFGH。请核对后重新发送“绑定 绑定码”。",
    },
    "bind.ok": {
        "en": "Done: this chat is now linked to {name} (factory ID {factory_id}). Send /status at any time to "
        "see its certification status; /unbind removes the link.",
        "zh": "绑定成功：此聊天已绑定 {name}（工厂编号 {factory_id}）。随时发送“我的状态”即可查询认证状态；"
        "发送“解除绑定”可取消绑定。",
    },
    "bind.already": {
        "en": "This chat is already linked to {name} (factory ID {factory_id}).",
        "zh": "此聊天已经绑定 {name}（工厂编号 {factory_id}）。",
    },
    "bind.invalid": {
        "en": "This code is not valid: it may be mistyped, expired or already used. Please check it, or ask "
        "the Factory Helpdesk for a new one ({phone}, {email}).",
        "zh": "此绑定码无效：可能输入有误、已过期或已被使用。请核对，或向工厂服务台索取新的绑定码（{phone}，{email}）。",
    },
    "bind.throttled": {
        "en": "Too many binding attempts. Please wait an hour and try again, or contact the Factory Helpdesk "
        "({phone}, {email}).",
        "zh": "绑定尝试次数过多。请一小时后再试，或联系工厂服务台（{phone}，{email}）。",
    },
    "unbind.none": {"en": "This chat is not linked to any factory.", "zh": "此聊天没有绑定任何工厂。"},
    "unbind.done": {
        "en": "This chat is no longer linked to {name} (factory ID {factory_id}).",
        "zh": "此聊天已解除与 {name}（工厂编号 {factory_id}）的绑定。",
    },
    "unbind.which": {
        "en": "This chat is linked to several factories. Which link should I remove?",
        "zh": "此聊天绑定了多家工厂。请问要解除哪一个绑定？",
    },
    "unbind.all": {"en": "All of them", "zh": "全部解除"},
    # -- reminders -------------------------------------------------------------------------
    "reminder.intro": {
        "en": "Reminder: the {status} status of {name} (factory ID {factory_id}) is valid until {end}.",
        "zh": "提醒：{name}（工厂编号 {factory_id}）的{status}状态有效期至 {end}。",
    },
    "reminder.days_left": {"en": "{days} left.", "zh": "还剩 {days}。"},
    "reminder.last_day": {"en": "Today is the last day.", "zh": "今天是最后一天。"},
    "reminder.more": {
        "en": "Send /status for the details and next steps.",
        "zh": "发送“我的状态”查看详情和下一步。",
    },
    # -- auditors --------------------------------------------------------------------------
    "auditor.menu": {"en": "Check an auditor", "zh": "核实审核员"},
    "auditor.ask": {
        "en": "Send the auditor's name and firm, for example \"Zhang Wei, SGS\", and I will check the register "
        "of accredited auditors.",
        "zh": "请发送审核员的姓名和所属审核机构，例如“张伟，SGS”，我会查询认可审核员名册。",
    },
    "auditor.confirmed": {
        "en": "Yes: {name} is on the register of accredited auditors, for {firms}{until}. Before letting them in, "
        "check that the name on their ID card is exactly this one.",
        "zh": "是的：{name} 在认可审核员名册上，所属机构：{firms}{until}。请在对方进厂前核对身份证件上的姓名是否完全一致。",
    },
    "auditor.until": {"en": " (accredited until {date})", "zh": "（认可有效期至 {date}）"},
    "auditor.expired": {
        "en": "{name} ({firms}) was accredited only until {date}: the accreditation has ended, so I cannot confirm "
        "them. Please do not let them audit, and report it to the integrity team: {email}.",
        "zh": "{name}（{firms}）的认可有效期只到 {date}，现已失效，因此无法确认。请不要让其进行审核，并向诚信团队报告：{email}。",
    },
    "auditor.not_listed": {
        "en": "{who} is not on the register of accredited auditors. Please do not let them audit, and report it "
        "to the integrity team: {email}.",
        "zh": "{who}不在认可审核员名册上。请不要让其进行审核，并向诚信团队报告：{email}。",
    },
    "auditor.who_of": {"en": "{name} of {firm}", "zh": "{firm}的{name}"},
    "auditor.firms": {"en": "Firms on the register: {firms}.", "zh": "名册上的审核机构：{firms}。"},
    "auditor.empty": {
        "en": "I cannot verify auditors right now: the register of accredited auditors has not been loaded. "
        "Please ask the Factory Helpdesk ({phone}, {email}) before letting anyone audit.",
        "zh": "目前无法核实审核员：认可审核员名册尚未导入。请在让任何人审核之前先咨询工厂服务台（{phone}，{email}）。",
    },
})
