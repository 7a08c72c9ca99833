"""Words of the helpline, integrity-report, handoff and follow-up flows (en, zh)."""
from __future__ import annotations

from bot.core.texts import add_texts

HELPLINE_CATEGORIES = ["wages", "hours", "contract", "safety", "harassment", "support", "other"]
INTEGRITY_CATEGORIES = ["bribery", "auditor", "impostor", "other"]
HELPDESK_CATEGORY = "question"

# The text of each choice or state, by its id: whole keys, so that grep finds every use.
HELPLINE_CATEGORY_TEXT = {"wages": "helpline_cat.wages", "hours": "helpline_cat.hours", "contract": "helpline_cat.contract", "safety": "helpline_cat.safety", "harassment": "helpline_cat.harassment", "support": "helpline_cat.support", "other": "helpline_cat.other"}
INTEGRITY_CATEGORY_TEXT = {"bribery": "report_cat.bribery", "auditor": "report_cat.auditor", "impostor": "report_cat.impostor", "other": "report_cat.other"}
HELPDESK_CATEGORY_TEXT = {"question": "human_cat.question"}
REPORT_QUESTION_TEXT = {"who": "report_q.who", "what": "report_q.what", "when": "report_q.when", "where": "report_q.where", "evidence": "report_q.evidence"}
REPORT_LABEL_TEXT = {"who": "report_label.who", "what": "report_label.what", "when": "report_label.when", "where": "report_label.where", "evidence": "report_label.evidence"}
NOTIFY_TEXT = {"message": "case_notify.message", "check_back": "case_notify.check_back"}
CREATED_NOTIFY_TEXT = {"message": "case_created_notify.message", "check_back": "case_created_notify.check_back"}
CASE_STATUS_TEXT = {"waiting": "case_status.waiting", "answered": "case_status.answered", "closed": "case_status.closed"}
CATEGORY_TEXT = {"helpline": HELPLINE_CATEGORY_TEXT, "integrity": INTEGRITY_CATEGORY_TEXT, "helpdesk": HELPDESK_CATEGORY_TEXT}

add_texts({
    # -- shared ------------------------------------------------------------------------------
    "case_private_only": {
        "en": "For your safety, reports are only taken in a private chat. Please open a private chat "
        "with this bot and send /helpline or /report there. Nothing you wrote here was recorded.",
        "zh": "为了保护您，举报和热线留言只在私聊中接收。请与本机器人私聊，并在私聊中发送 /helpline 或 /report。"
        "您在这里写的内容没有被记录。",
    },
    "case_privacy": {
        "en": "Privacy: what you write here is confidential. It is stored encrypted and read only by the "
        "program's {team}. Staff see a case reference, never your name, phone number or chat account. "
        "You do not have to give your name. Type /cancel at any time: nothing is sent until you confirm, "
        "and an unsent draft is deleted after 24 hours.",
        "zh": "隐私说明：您在这里写的内容是保密的，加密保存，只有项目的{team}可以阅读。工作人员只看到案件编号，"
        "看不到您的姓名、电话或聊天账号。您不需要留下姓名。随时输入 /cancel 可取消：确认前不会发送任何内容，"
        "未发送的草稿 24 小时后自动删除。",
    },
    "case_add_more": {
        "en": "Received. You can send more{photos}, or choose Done.",
        "zh": "已收到。您可以继续补充{photos}，或选择“完成”。",
    },
    "case_photos_hint": {"en": " (text or photos)", "zh": "（文字或照片）"},
    "case_photo_received": {"en": "Photo received.", "zh": "已收到照片。"},
    "case_photo_unsupported": {
        "en": "Photos cannot be sent on this channel; please describe it in words.",
        "zh": "此渠道无法发送照片，请用文字描述。",
    },
    "case_need_text": {"en": "Please write your message first.", "zh": "请先写下您的留言。"},
    "case_done": {"en": "Done", "zh": "完成"},
    "case_skip": {"en": "Skip", "zh": "跳过"},
    "case_notify_question": {
        "en": "When staff answer, shall I message you in this chat? If others can see your phone, choose "
        "to check back yourself with your case reference: then nothing will arrive unasked.",
        "zh": "工作人员回复时，要在这个聊天中通知您吗？如果别人可能看到您的手机，请选择“我自己用编号查看”，"
        "这样不会有任何消息主动发给您。",
    },
    "case_notify.message": {"en": "Message me here", "zh": "在这里通知我"},
    "case_notify.check_back": {"en": "I'll check back with the reference", "zh": "我自己用编号查看"},
    "case_confirm": {
        "en": "Please check before sending.\nAbout: {category}\nYour message: {preview}\nAnswer: {notify}\n\nSend it to the {team}?",
        "zh": "发送前请确认。\n类别：{category}\n您的留言：{preview}\n回复方式：{notify}\n\n发送给{team}吗？",
    },
    "case_send": {"en": "Send", "zh": "发送"},
    "case_cancel": {"en": "Cancel", "zh": "取消"},
    "case_choose_above": {"en": "Please choose one of these:", "zh": "请选择以下其中一项："},
    "case_created": {
        "en": "Sent. Your case reference is {ref}\nKeep it safe and do not share it: anyone who has it can "
        "read the answers. {notify}\n{when}",
        "zh": "已发送。您的案件编号是 {ref}\n请妥善保管，不要告诉别人：任何人拿到编号都可以看到回复。{notify}\n{when}",
    },
    "case_created_notify.message": {
        "en": "I will message you here when staff answer. To add something later, send the reference.",
        "zh": "工作人员回复时，我会在这里通知您。以后要补充内容，请发送案件编号。",
    },
    "case_created_notify.check_back": {
        "en": "No message will be sent to you. To read the answer or add something, send the reference to "
        "this bot from any account.",
        "zh": "我们不会主动发消息给您。要查看回复或补充内容，请从任何账号向本机器人发送案件编号。",
    },
    "case_urgent_ack": {
        "en": "Your case is marked urgent and is first in the staff queue.",
        "zh": "您的案件已标记为紧急，排在工作人员处理队列的最前面。",
    },
    # -- when a person answers -----------------------------------------------------------------
    "case_when.helpline_open": {
        "en": "The helpline is open now ({hours} daily): a person will answer as soon as possible.",
        "zh": "热线现在值班（每天 {hours}），工作人员会尽快回复。",
    },
    "case_when.helpline_closed": {
        "en": "The helpline is closed now (hours {hours} daily). A person will answer after it opens at "
        "{opens}.",
        "zh": "热线现在不在值班时间（每天 {hours}）。工作人员会在 {opens} 开始值班后回复。",
    },
    "case_when.helpline_holiday": {
        "en": "The helpline is closed over the Chinese New Year holiday. A person will answer after it "
        "reopens at {opens}.",
        "zh": "热线春节假期暂停服务，工作人员会在 {opens} 恢复值班后回复。",
    },
    "case_when.integrity": {
        "en": "The Integrity team reviews every report and will answer here; you can also write to {email}.",
        "zh": "诚信团队会审阅每一份举报并在这里回复；您也可以发邮件至 {email}。",
    },
    "case_when.helpdesk": {
        "en": "The Factory Helpdesk answers {days}, {hours} ({tz}).",
        "zh": "工厂服务台工作时间：{days} {hours}（{tz}）。",
    },
    # -- worker helpline ------------------------------------------------------------------------
    "helpline_category": {"en": "What is it about?", "zh": "您想反映哪方面的问题？"},
    "helpline_cat.wages": {"en": "Wages and overtime", "zh": "工资和加班"},
    "helpline_cat.hours": {"en": "Working hours", "zh": "工作时间"},
    "helpline_cat.contract": {"en": "Contract and social insurance", "zh": "劳动合同和社保"},
    "helpline_cat.safety": {"en": "Safety and health", "zh": "安全和健康"},
    "helpline_cat.harassment": {"en": "Harassment or discrimination", "zh": "骚扰或歧视"},
    "helpline_cat.support": {"en": "Personal support", "zh": "个人支持"},
    "helpline_cat.other": {"en": "Other", "zh": "其他"},
    "helpline_kept_text": {
        "en": "I kept what you wrote. Which of these is it about?",
        "zh": "您写的内容已保留。请问属于哪一类？",
    },
    "helpline_message": {
        "en": "Please tell us in your own words what happened: where, when, who is affected. {photos}",
        "zh": "请用您自己的话告诉我们发生了什么：在哪里、什么时候、影响到谁。{photos}",
    },
    "helpline_urgent_offer": {
        "en": "The Worker Helpline is here for you: call {phone}, {hours} {days}. Or choose below: what "
        "you wrote goes to the helpline now as an urgent case. It is confidential and you do not have to "
        "give your name. Nothing is sent unless you choose it.",
        "zh": "工人热线可以帮助您：请拨打 {phone}，时间 {hours}，{days}。也可以选择下面的选项：您写的内容会立即作为紧急案件"
        "发送给热线。内容保密，您不需要留下姓名。您不选择就不会发送任何内容。",
    },
    "helpline_urgent_call": {
        "en": "The Worker Helpline is here for you: call {phone}, {hours} {days}. To write to it, open a "
        "private chat with this bot and send /helpline.",
        "zh": "工人热线可以帮助您：请拨打 {phone}，时间 {hours}，{days}。如要留言，请与本机器人私聊并发送 /helpline。",
    },
    "helpline_urgent_send": {"en": "Send to the Worker Helpline now (urgent)", "zh": "立即发送给工人热线（紧急）"},
    "helpline_write_here": {"en": "Write to the Worker Helpline here", "zh": "在这里给工人热线留言"},
    "helpline_in_chat": {
        "en": "You can also write to the helpline here in this chat: choose below.",
        "zh": "您也可以在这个聊天里给热线留言：请选择下面的选项。",
    },
    "faq_reporter_followup": {
        "en": "If you wrote to the Worker Helpline or sent a report, send the case reference you were "
        "given when you sent it, to read the answer or add to it, from this or any account.",
        "zh": "如果您给工人热线留过言或提交过举报，请发送提交时得到的案件编号，即可查看回复或补充内容，"
        "用这个或任何账号都可以。",
    },
    "helpline_photos": {"en": "You can also send photos.", "zh": "也可以发送照片。"},
    # -- integrity report -----------------------------------------------------------------------
    "report_category": {
        "en": "Integrity report. Reports are anonymous unless you choose to give your name. What happened?",
        "zh": "诚信举报。除非您自己留下姓名，举报都是匿名的。发生了什么事？",
    },
    "report_cat.bribery": {"en": "Bribery or a request for money or gifts", "zh": "贿赂或索要钱财礼物"},
    "report_cat.auditor": {"en": "Auditor misconduct", "zh": "审核员行为不当"},
    "report_cat.impostor": {"en": "Someone posing as an auditor or the program", "zh": "有人冒充审核员或项目人员"},
    "report_cat.other": {"en": "Another integrity concern", "zh": "其他诚信问题"},
    "report_q.who": {
        "en": "Who was involved? (names, company or audit firm, role; as far as you know)",
        "zh": "涉及哪些人？（姓名、公司或审核机构、职务，知道多少写多少）",
    },
    "report_q.what": {"en": "What happened? Please describe it in your own words.", "zh": "发生了什么？请用您自己的话描述。"},
    "report_q.when": {"en": "When did it happen?", "zh": "什么时候发生的？"},
    "report_q.where": {"en": "Where did it happen? (factory, city, online…)", "zh": "在哪里发生的？（工厂、城市、网上……）"},
    "report_q.evidence": {
        "en": "Do you have evidence (messages, receipts, photos)? Describe it{photos}, or choose Skip.",
        "zh": "您有证据吗（聊天记录、收据、照片）？请描述{photos}，或选择“跳过”。",
    },
    "report_photos": {"en": " or send photos", "zh": "或发送照片"},
    "report_label.who": {"en": "Who", "zh": "涉及人员"},
    "report_label.what": {"en": "What", "zh": "经过"},
    "report_label.when": {"en": "When", "zh": "时间"},
    "report_label.where": {"en": "Where", "zh": "地点"},
    "report_label.evidence": {"en": "Evidence", "zh": "证据"},
    # -- helpdesk handoff -----------------------------------------------------------------------
    "human_prompt": {
        "en": "I'll pass your question to the Factory Helpdesk staff. Please write it in full (factory name "
        "or ID helps).",
        "zh": "我会把您的问题转交工厂服务台工作人员。请完整写下您的问题（写上工厂名称或编号会更快）。",
    },
    "human_cat.question": {"en": "Question for the helpdesk", "zh": "咨询服务台"},
    # -- follow-up by reference -----------------------------------------------------------------
    "case_ask_ref": {"en": "Please send your case reference (e.g. H-7KQ3-9XPM-4D2A).",
                     "zh": "请发送您的案件编号（例如 H-7KQ3-9XPM-4D2A）。"},
    "case_not_found": {
        "en": "No case has this reference. Please check it and try again.",
        "zh": "没有找到这个编号的案件。请检查后再试。",
    },
    "case_throttled": {
        "en": "Too many case references tried from this account. Please wait an hour and try again.",
        "zh": "此账号查询案件编号的次数过多，请一小时后再试。",
    },
    "case_found": {"en": "Case {ref}: {status}", "zh": "案件 {ref}：{status}"},
    "case_status.waiting": {"en": "waiting for staff to answer.", "zh": "等待工作人员回复。"},
    "case_status.answered": {"en": "staff have answered.", "zh": "工作人员已回复。"},
    "case_status.closed": {"en": "closed. Writing again reopens it.", "zh": "已结案。再次留言会重新打开案件。"},
    "case_reply_shown": {"en": "Answer from staff ({when}):\n{body}", "zh": "工作人员的回复（{when}）：\n{body}"},
    "case_write_more": {
        "en": "Write your message to add it to this case, or choose Finished.",
        "zh": "请写下要补充到此案件的内容，或选择“结束”。",
    },
    "case_finished": {"en": "Finished", "zh": "结束"},
    "case_added": {
        "en": "Added to your case. {when}\nWrite more, or choose Finished.",
        "zh": "已补充到您的案件。{when}\n可以继续写，或选择“结束”。",
    },
    "case_left": {
        "en": "Thank you. Send your reference at any time to continue.",
        "zh": "谢谢。随时发送案件编号即可继续。",
    },
})
