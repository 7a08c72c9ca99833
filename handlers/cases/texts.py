"""The choices of the case flows (categories) and the key of the text of each choice or state.
The words themselves are in bot/core/texts/cases.toml."""

from __future__ import annotations

# The text of each choice or state, by its id: whole keys, so that grep finds every use. The order
# of a category map is the order of the choices.
HELPLINE_CATEGORY_TEXT = {
    "wages": "helpline_cat.wages",
    "hours": "helpline_cat.hours",
    "contract": "helpline_cat.contract",
    "safety": "helpline_cat.safety",
    "harassment": "helpline_cat.harassment",
    "support": "helpline_cat.support",
    "other": "helpline_cat.other",
}
INTEGRITY_CATEGORY_TEXT = {
    "bribery": "report_cat.bribery",
    "auditor": "report_cat.auditor",
    "impostor": "report_cat.impostor",
    "other": "report_cat.other",
}
HELPDESK_CATEGORY_TEXT = {"question": "human_cat.question"}
REPORT_QUESTION_TEXT = {
    "who": "report_q.who",
    "what": "report_q.what",
    "when": "report_q.when",
    "where": "report_q.where",
    "evidence": "report_q.evidence",
}
REPORT_LABEL_TEXT = {
    "who": "report_label.who",
    "what": "report_label.what",
    "when": "report_label.when",
    "where": "report_label.where",
    "evidence": "report_label.evidence",
}
NOTIFY_TEXT = {"message": "case_notify.message", "check_back": "case_notify.check_back"}
CREATED_NOTIFY_TEXT = {"message": "case_created_notify.message", "check_back": "case_created_notify.check_back"}
CASE_STATUS_TEXT = {
    "waiting": "case_status.waiting",
    "answered": "case_status.answered",
    "closed": "case_status.closed",
}
HELPLINE_CATEGORIES = list(HELPLINE_CATEGORY_TEXT)
INTEGRITY_CATEGORIES = list(INTEGRITY_CATEGORY_TEXT)
HELPDESK_CATEGORY = "question"
CATEGORY_TEXT = {
    "helpline": HELPLINE_CATEGORY_TEXT,
    "integrity": INTEGRITY_CATEGORY_TEXT,
    "helpdesk": HELPDESK_CATEGORY_TEXT,
}
