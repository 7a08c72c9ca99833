"""The answering engine: KnowledgeBase.answer() and the computed answers."""
from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from pathlib import Path

from knowledge import parsing
from knowledge.errors import KnowledgeError
from knowledge.loader import LANGS, FactResolver, build_calendar, build_entries, build_facts, data_files, read_toml
from knowledge.matcher import Matcher
from knowledge.model import Answer, BlackoutWindow, Entry, Suggestion
from knowledge.text import ZH_STOP, TermSet, detect_lang, features, has_cjk, is_traditional, normalise, to_traditional

THRESHOLD = 0.40          # below: "not sure", topic null, handoff
AMBIGUITY_MARGIN = 0.02   # top two closer than this (and neither sure): ask which one
SURE = 0.80               # at or above this the top entry is taken even if the next is close
SUGGEST_FLOOR = 0.22      # candidates below this are not worth suggesting
TIE = 0.002
MAX_QUESTION = 1000  # characters used for matching
CLAUSE_SURE = 0.6    # each clause of a two-part question must be this sure to answer both
_CLAUSE_RE = re.compile(r"[?？。!！;；，]+|(?<!\d)\.\s+|(?:,|，)?\s+(?:and also|and|also|plus)\s+(?=(?:what|when|how|who|where|which|"
                        r"is|are|can|do|does|will|should)\b)|以及|另外|还有|并且|同时|顺便问", re.I)
_SENTENCE_RE = re.compile(r"[.?!。？！;；,，\n]+\s*")
_ASKING_RE = re.compile(r"\?|？|\b(?:how|what|when|who|where|which|why|can|could|is|are|do|does|will|should|may)\b|"
                        r"吗|嗎|什么|甚么|怎么|怎样|多少|多久|几|哪|谁|誰|是否|能否|可不可以|可以|有没有|呢", re.I)
_PROGRAM_RE = re.compile(r"\b(?:i?etp|escp|icti|ethical toy|ethical supply|your program|this program)\b|"
                         r"(?<![a-z])(?:i?etp|escp|icti)|贵司|你们的?项目|这个项目|本项目|该项目")
_CJK_SPACE_RE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
# a clause that asks (stricter than _ASKING_RE: "our audit is estimated at 2 man-days" does not)
_CLAUSE_ASK_RE = re.compile(r"^\W*(?:how|what|when|who|where|which|why|can|could|is|are|do|does|will|should|may)\b|"
                            r"\b(?:how|what|when|who|where|which|why)\b|吗|嗎|什么|甚么|怎么|怎样|多少|多久|几|幾|"
                            r"哪|谁|誰|是否|能否|可不可以|有没有|咩|點|係咪|呢", re.I)
_PRICE_FEATURES = frozenset({"z:多少", "z:少钱", "z:多钱", "z:几多", "z:价格", "z:价钱", "z:钱一", "z:什么价",
                             "z:么价", "z:什么", "z:要多", "z:费用", "w:much", "w:cost", "w:price", "b:how_much"})
_BOTH_RE = re.compile(r"分别|分別|各自|各是|各为|\brespectively\b|\bboth\b|\beach of\b|\beach one\b", re.I)
_MONEY_RE = re.compile(r"\b(?:fees?|pay|paid|paying|cost|costs|price|charge|usd|us\$|dollars?|money)\b|\$|美元|美金|费|钱|交|付")
FOREIGN_SHARE = 0.6  # a Chinese question with this share of unknown bigrams …
FOREIGN_SURE = 0.6   # … needs this score to be answered
# a clause naming its own subject keeps it ("…顺便问下审核员是哪家公司的" is about audit firms even
# after a fee question); one without ("会看多少工人") may take the subject of another clause
_AREA_WORDS = {"audit": re.compile(r"audit|审核|稽核"), "pv": re.compile(r"\bpv\b|进展访问"),
               "fees": re.compile(r"\bfee\b|费"), "contacts": re.compile(r"helpline|helpdesk|热线|服务台|客服")}
# details of a fee the seeds don't give ("500美金一个人日 是含税的吗"): not a fee to compute
_FEE_DETAIL_RE = re.compile(r"\b(?:tax|taxes|vat|invoice|discount|refund|installments?)\b|含税|税|发票|打折|折扣|退款|分期")
SAME_AREA_MARGIN = 0.008
AREA_OVERVIEWS = {"fees", "status"}  # areas whose overview gives every figure of the area
AREA_FLOOR = 0.36  # "not sure" from here down; above it, three candidates of one area get its overview
STATUS_BOOST = 0.25        # a named status with validity words ('how long is probation')
STATUS_NAMED_BOOST = 0.05  # a named status alone

_SLOT_RE = re.compile(r"\{\$(\w+)\}")
EMERGENCY_TOPIC = "safety.emergency"
WORKER_TOPIC = "contacts.helpline"  # a worker's own question (workers.toml) is answered as the helpline

# status words, most specific first ("certified" appears in many questions about other statuses)
_STATUS_WORDS = [
    ("terminated", re.compile(r"terminat|终止|除名|取消资格|踢出")),
    ("progressing", re.compile(r"progressing|进展中|改进中")),
    ("assessed", re.compile(r"\bassessed\b|已评估|评估状态")),
    ("probation", re.compile(r"probation|观察期|试用期|留察")),
    ("remediation", re.compile(r"remediat|整改(?:状态|计划|期|中|项目|证书|认证)|进入整改")),
    ("certified", re.compile(r"certif|认证|证书|发证|拿证|获证")),
]
_VALIDITY_WORDS = re.compile(
    r"expir|valid|until|\bend\b|\bends\b|when (?:will|does|do|is) [\w ]{0,20}finish|renew|days? left|how long|how many days|lapse|last until|"
    r"reapply|apply again|re ?apply|come back|rejoin|到期|过期|有效|截止|还剩|剩下|剩余|多少天|几天|多久|续期|续证|"
    r"什么时候结束|重新申请|再申请|再次申请|重新加入|多长时间|多长|几个月|幾耐|几耐")
_NEXT_STEP_WORDS = re.compile(r"next steps?|what (?:should|do|must) we do|what now|what does (?:it|that) mean|"
                              r"what (?:they|we|i) (?:have|need) to do|how much time|"
                              r"下一步|接下来|怎么办|要做什么|该做什么|是什么意思")
_TOTAL_WORDS = re.compile(
    r"total|overall|altogether|all together|all in|in all|whole|everything|sum|to (?:get )?certif|until certif|"
    r"\bplus\b|including|\bwith (?:the )?registration|registration and|"
    r"总共|一共|总费用|合计|全部|总计|总成本|总额|加起来|所有费用|拿到证书|取得认证|获得认证|整个|加上|连同|包括|再加")
_PV_WORDS = re.compile(r"\bpv\b|进展访问")  # on the prepared (rewritten) question
_HOLIDAY_WORDS = re.compile(r"blackout|cny|chinese new year|new year|holiday|春节|过年|新年|假期|放假|停审")
_BLACKOUT_WORDS = re.compile(
    r"audit|visit|\bpv\b|\bica\b|blackout|schedul|arrang|\bplan|come|inspect|cny|chinese new year|new year|holiday|"
    r"审核|验厂|审厂|访问|春节|过年|新年|安排|来厂|到厂|停审|暂停|不审核|假期|放假")


class KnowledgeBase:
    """A loaded, validated knowledge base; thread-safe for reading."""

    def __init__(self, path: Path, override: Path | None = None):
        self.path = Path(path)
        files, entry_files = data_files(self.path, override)
        facts_raw = read_toml(files["facts.toml"])
        self.facts = build_facts(facts_raw, str(files["facts.toml"]))
        self._resolver = FactResolver(facts_raw)
        self.blackouts, self.helpline_closures = build_calendar(
            read_toml(files["calendar.toml"]), str(files["calendar.toml"]))
        self._load_safety(files["safety.toml"])
        self._load_workers(files["workers.toml"])
        self._load_messages(files["messages.toml"])
        self._rewrites = self._load_lexicon(files["lexicon.toml"])
        self.entries: list[Entry] = build_entries(entry_files, self._resolver)
        self.by_id: dict[str, Entry] = {e.id: e for e in self.entries}
        # the emergency answer is a topic too (answer_topic, by_id), but never matched or listed
        self.by_id[EMERGENCY_TOPIC] = Entry(
            id=EMERGENCY_TOPIC, file=str(files["safety.toml"]), title=dict(self._emergency_title),
            answer=dict(self._emergency), paraphrases={lang: [] for lang in LANGS},
            keywords={lang: [] for lang in LANGS}, source=self._emergency_source, hidden=True, handoff=True)
        self._matcher = Matcher(self.entries, self._rewrites)

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_dir(cls, path: str | os.PathLike[str], override: str | os.PathLike[str] | None = None
                 ) -> "KnowledgeBase":
        return cls(Path(path), Path(override) if override else None)

    load = from_dir

    def _load_safety(self, path: Path) -> None:
        raw = read_toml(path)
        file = str(path)
        urgent = raw.get("urgent")
        emergency = raw.get("emergency")
        if not isinstance(urgent, dict) or not isinstance(emergency, dict):
            raise KnowledgeError(file, None, "needs [urgent] and [emergency] tables")
        self._urgent: dict[str, list[str]] = {}
        self._emergency: dict[str, str] = {}
        for lang in LANGS:
            words = urgent.get(lang)
            if not isinstance(words, list) or not words:
                raise KnowledgeError(file, "urgent", f"missing {lang!r} word list")
            self._urgent[lang] = [normalise(w) for w in words if normalise(w)]
            text = emergency.get(lang)
            if not isinstance(text, str) or not text.strip():
                raise KnowledgeError(file, "emergency", f"missing {lang!r} translation")
            self._emergency[lang] = self._resolver.resolve(text.strip(), file, "emergency")
        self._emergency_source = str(emergency.get("source") or "safety.toml")
        self._emergency_title = {"en": str(emergency.get("title_en") or "Emergency help"),
                                 "zh": str(emergency.get("title_zh") or "紧急求助")}
        self._urgent_terms = TermSet([w for lang in LANGS for w in self._urgent[lang]])

    def _load_workers(self, path: Path) -> None:
        raw = read_toml(path)
        file = str(path)
        answer, factory, families = raw.get("answer"), raw.get("factory"), raw.get("family")
        if not isinstance(answer, dict) or not isinstance(factory, dict) or not isinstance(families, list) \
                or not families:
            raise KnowledgeError(file, None, "needs [answer], [factory] and [[family]] tables")
        self._worker_answer: dict[str, str] = {}
        self._worker_title: dict[str, str] = {}
        for lang in LANGS:
            text, title = answer.get(lang), answer.get(f"title_{lang}")
            if not isinstance(text, str) or not text.strip() or not isinstance(title, str) or not title.strip():
                raise KnowledgeError(file, "answer", f"missing {lang!r} translation")
            self._worker_answer[lang] = self._resolver.resolve(text.strip(), file, "answer")
            self._worker_title[lang] = title.strip()
        if not answer.get("source"):
            raise KnowledgeError(file, "answer", "missing 'source'")
        self._worker_source = str(answer["source"])
        self._worker_factory = TermSet([str(w) for lang in LANGS for w in factory.get(lang, [])])
        followup = raw.get("followup", {})
        self._reporter_followup = TermSet([str(w) for lang in LANGS for w in followup.get(lang, [])])
        self._worker_families: list[tuple[str, TermSet, TermSet]] = []
        for i, fam in enumerate(families):
            name = fam.get("name") if isinstance(fam, dict) else None
            if not isinstance(name, str) or not name:
                raise KnowledgeError(file, f"family[{i}]", "missing 'name'")
            lists = {}
            for part in ("subject", "trouble"):
                words = [str(w) for lang in LANGS for w in fam.get(f"{part}_{lang}", [])]
                if not all(fam.get(f"{part}_{lang}") for lang in LANGS):
                    raise KnowledgeError(file, name, f"missing {part} words in a language")
                lists[part] = TermSet(words)
            self._worker_families.append((name, lists["subject"], lists["trouble"]))

    def _load_messages(self, path: Path) -> None:
        raw = read_toml(path)
        file = str(path)
        self._messages: dict[str, dict[str, str]] = {}
        for key in ("not_sure", "suggest", "out_of_scope", "ambiguous", "empty", "validity_month",
                    "validity_month_past", "reapply_month", "reapply_month_past"):
            table = raw.get(key)
            if not isinstance(table, dict):
                raise KnowledgeError(file, key, "message is missing")
            for lang in LANGS:
                if not isinstance(table.get(lang), str) or not table[lang].strip():
                    raise KnowledgeError(file, key, f"missing {lang!r} translation")
            self._messages[key] = {lang: self._resolver.resolve(table[lang], file, key) for lang in LANGS}
        eng = raw.get("engine", {})
        if not isinstance(eng, dict):
            raise KnowledgeError(file, "engine", "must be a table")
        self.threshold = _unit(eng, "threshold", THRESHOLD, file)
        self.ambiguity_margin = _unit(eng, "ambiguity_margin", AMBIGUITY_MARGIN, file)
        self.same_area_margin = _unit(eng, "same_area_margin", SAME_AREA_MARGIN, file)
        self.sure = _unit(eng, "sure", SURE, file)
        self.suggest_floor = _unit(eng, "suggest_floor", SUGGEST_FLOOR, file)
        terms = raw.get("out_of_scope_terms", {})
        self._oos_terms = TermSet([w for lang in LANGS for w in terms.get(lang, [])])

    def _load_lexicon(self, path: Path) -> list[tuple[re.Pattern[str], str]]:
        raw = read_toml(path)
        out = []
        for i, r in enumerate(raw.get("rewrite", [])):
            try:
                # normalise() puts a space between Latin letters and Chinese characters, so \b works
                # for "PV什么时候" (Python counts both as \w)
                out.append((re.compile(str(r["pattern"])), str(r["to"])))
            except (KeyError, re.error) as exc:
                raise KnowledgeError(str(path), f"rewrite[{i}]", f"bad rewrite: {exc}") from None
        return out

    # ------------------------------------------------------------------ small API
    def topics(self, lang: str) -> list[Suggestion]:
        """The browsable FAQ list: entries with a ``menu`` position first, in that order."""
        ordered = sorted((e for e in self.entries if not (e.hidden or e.declines)), key=lambda e: e.menu)
        return [Suggestion(e.id, e.title[lang]) for e in ordered]

    def blackout_for(self, day: dt.date) -> BlackoutWindow | None:
        for w in self.blackouts:
            if w.contains(day):
                return w
        return None

    def helpline_closed_on(self, day: dt.date) -> bool:
        return any(c.start <= day <= c.end for c in self.helpline_closures)

    def urgent_terms(self, lang: str) -> list[str]:
        return list(self._urgent[lang])

    def is_urgent(self, text: str) -> bool:
        return bool(text) and self._urgent_terms.search(normalise(text)) is not None

    def emergency_text(self, lang: str) -> str:
        return self._emergency[lang]

    def worker_trouble(self, text: str, *, factory_questions: bool = True) -> str | None:
        """The family (wages, contract, hours, treatment, dormitory, health, feelings) of a worker
        writing about their own job or life, or None. With ``factory_questions`` (the default) a
        message naming the audit, its criteria or the program is not one ("is late wage payment a
        major or critical non-compliance?"); without, any message written like a worker's
        complaint is (what must never be kept as an unanswered question)."""
        norm = normalise(text or "")
        if not norm or (factory_questions and self._worker_factory.search(norm)):
            return None
        for name, subject, trouble in self._worker_families:
            if subject.search(norm) and trouble.search(norm):
                return name
        return None

    def is_reporter_followup(self, text: str) -> bool:
        """Written like a reporter asking about what they sent ("any news about my complaint?",
        "有人回复我了吗"): words staff must not read on the unanswered-questions page."""
        norm = normalise(text or "")
        return bool(norm) and self._reporter_followup.search(norm) is not None

    def worker_helpline_text(self, lang: str) -> str:
        return self._worker_answer[lang if lang in LANGS else "en"]

    def title(self, topic: str, lang: str) -> str:
        return self.by_id[topic].title[lang]

    # ------------------------------------------------------------------ answering
    def answer(self, question: str, *, lang: str | None = None, today: dt.date | None = None) -> Answer:
        today = today or dt.date.today()
        question = question or ""
        q_lang = detect_lang(question)
        out_lang = lang if lang in LANGS else q_lang
        trad = is_traditional(question)
        ans = self._answer(question, out_lang, today)
        return self._script(ans, trad)

    def answer_topic(self, topic: str, *, lang: str, today: dt.date | None = None,
                     script: str = "simplified") -> Answer:
        if topic not in self.by_id:
            raise KeyError(topic)
        lang = lang if lang in LANGS else "en"
        ans = self._render(self.by_id[topic], lang, today or dt.date.today(), {}, 1.0)
        return self._script(ans, script == "traditional")

    def _script(self, ans: Answer, traditional: bool) -> Answer:
        if traditional and ans.lang == "zh":
            ans.answer = to_traditional(ans.answer)
            ans.suggestions = [Suggestion(s.topic, to_traditional(s.title)) for s in ans.suggestions]
        return ans

    def _msg(self, key: str, lang: str, **slots: str) -> str:
        return _SLOT_RE.sub(lambda m: slots.get(m.group(1), ""), self._messages[key][lang])

    def _join(self, titles: list[str], lang: str) -> str:
        if lang == "zh":
            return "、".join(f"“{t}”" for t in titles)
        if len(titles) <= 1:
            return "".join(f'"{t}"' for t in titles)
        return ", ".join(f'"{t}"' for t in titles[:-1]) + f' or "{titles[-1]}"'

    def _answer(self, question: str, lang: str, today: dt.date, split: bool = True) -> Answer:
        question = question[:MAX_QUESTION]  # a pasted document: the start says what it is about
        raw = unicodedata.normalize("NFKC", question).lower().strip()
        if not raw or not re.search(r"\w", raw):
            return Answer(self._msg("empty", lang), None, 0.0, lang, False)
        norm = normalise(question)
        if self._urgent_terms.search(norm):
            return Answer(self._emergency[lang], EMERGENCY_TOPIC, 1.0, lang, True, [],
                          self._emergency_source)
        if self._oos_terms.search(norm):
            kept = self._outside_context(question)
            if kept is None:
                return Answer(self._msg("out_of_scope", lang), None, 0.0, lang, True)
            question, norm = kept, normalise(kept)
            raw = unicodedata.normalize("NFKC", question).lower().strip()
        if self.worker_trouble(question) and WORKER_TOPIC in self.by_id:
            return Answer(self._worker_answer[lang], WORKER_TOPIC, 0.9, lang, False, [], self._worker_source)
        prepared = self._matcher.prepare_query(question)
        if self._only_price_words(prepared):
            return Answer(self._msg("out_of_scope", lang), None, 0.0, lang, True)
        ranking = self._focus(question, self._matcher.rank(prepared))
        if split:
            combined = self._several_questions(question, lang, today, ranking)
            if combined is not None:
                return combined

        # computed answers: slots found in the question pick the entry
        slots: dict[str, object] = {}
        n = parsing.man_days(norm)
        if n is not None and 0 < n <= 1000 and not _FEE_DETAIL_RE.search(norm):
            slots["man_days"] = n
            topic = "fees.total" if _TOTAL_WORDS.search(norm) else "fees.audit"
            if topic in self.by_id:
                return self._render(self.by_id[topic], lang, today, slots, 0.95)
        dates = parsing.dates(raw, today)
        if dates:
            slots["dates"] = dates
            status = self._status_in(norm)
            top_ids = [self.entries[i].id for _, i in ranking[:3]]
            # a status named, or the best match is a status ("when does it expire?"); a status merely
            # among the candidates is not enough ("we registered on 3 March … how long until the audit?")
            if _VALIDITY_WORDS.search(norm) and (status or (top_ids and top_ids[0].startswith("status."))):
                status = status or top_ids[0].split(".", 1)[1]
                topic = f"status.{status}"
                if topic in self.by_id:
                    slots["status"] = status
                    return self._render(self.by_id[topic], lang, today, slots, 0.93)
            if ("pv.timing" in self.by_id and status == "certified" and _PV_WORDS.search(prepared)
                    and not _HOLIDAY_WORDS.search(norm)):
                # "we were certified on 1 March 2024, when is our Progress Visit?"
                return self._render(self.by_id["pv.timing"], lang, today, slots, 0.9)
            if "audit.blackout" in self.by_id and (
                    _BLACKOUT_WORDS.search(norm) or "audit.blackout" in top_ids) and (
                    self._date_asked(question, today) or "audit.blackout" in top_ids
                    or _HOLIDAY_WORDS.search(norm)):
                return self._render(self.by_id["audit.blackout"], lang, today, slots, 0.93)
        years = parsing.years(raw)
        if years:
            slots["years"] = years
        months = parsing.months(raw, today)
        if months and not dates and _VALIDITY_WORDS.search(norm) and not _PV_WORDS.search(prepared):
            # "terminated in March 2024, when can we come back?": the month of the end
            top_ids = [self.entries[i].id for _, i in ranking[:3]]
            status = self._status_in(norm) or next(
                (t.split(".", 1)[1] for t in top_ids if t.startswith("status.")), None)
            if status in self.facts.statuses and f"status.{status}" in self.by_id:
                e = self.by_id[f"status.{status}"]
                return Answer(self._validity_month(status, months[0], lang, today), e.id, 0.9, lang,
                              e.handoff, [], e.source)
        if "audit.blackout" not in self.by_id:
            months = []
        if (months and _BLACKOUT_WORDS.search(norm) and not _VALIDITY_WORDS.search(norm)
                and (_HOLIDAY_WORDS.search(norm) or self._date_asked(question, today))):
            # "audits in late January 2024?": is that month (partly) in a blackout window?
            top = ranking[0] if ranking else (0.0, -1)
            asks_fee = "fee" in prepared.split() or "费用" in prepared
            if not asks_fee and (top[0] < 0.6 or self.entries[top[1]].id == "audit.blackout"):
                slots["months"] = months
                return self._render(self.by_id["audit.blackout"], lang, today, slots, 0.85)

        ranking = self._boost_status(norm, ranking)
        named = self._fee_named(norm, ranking)
        if named is not None:
            return self._render(named, lang, today, slots, max(self.threshold, ranking[0][0] if ranking else 0.0))
        if not ranking or ranking[0][0] < self.threshold:
            overview = self._area_overview(ranking)
            if overview is not None:
                return self._render(overview, lang, today, slots, ranking[0][0])
            return self._not_sure(ranking, lang)
        both = self._both(question, lang, today, ranking)
        if both is not None:
            return both
        s1, i1 = ranking[0]
        req = self.entries[i1].requires
        if req is not None and not (req.search(norm) or req.search(prepared)):
            # the entry's own subject is missing ("宿舍一个月电费多少" names no audit): another subject
            return self._not_sure(ranking, lang)
        if s1 < FOREIGN_SURE and self._foreign_share(prepared) >= FOREIGN_SHARE:
            # most of a Chinese question's words are unknown to the knowledge base (工厂的排污许可证…,
            # 宿舍要不要收水电费): a middling match on the rest is likely another subject
            return self._not_sure(ranking, lang)
        if len(ranking) > 1:
            # below SURE, a near tie is ambiguous; above it only an exact tie is
            # topics of one area (fees.*, pv.* …) overlap and either answer helps: a smaller margin
            area = self.entries[i1].id.split(".", 1)[0]

            def margin(i: int) -> float:
                if s1 >= self.sure:
                    return TIE
                same = self.entries[i].id.split(".", 1)[0] == area
                return self.same_area_margin if same else self.ambiguity_margin

            close = [(s, i) for s, i in ranking[1:3] if s1 - s < margin(i)]
            if close:
                sugg = [Suggestion(self.entries[i].id, self.entries[i].title[lang]) for _, i in
                        [(s1, i1), *close]]
                text = self._msg("ambiguous", lang, list=self._join([s.title for s in sugg], lang))
                return Answer(text, None, round(s1, 3), lang, False, sugg)
        return self._render(self.entries[i1], lang, today, slots, s1)

    def _date_asked(self, question: str, today: dt.date) -> bool:
        """Whether a date is in a sentence that asks something (or the message is one sentence):
        "our audit was done on 10 Jan … What status will we get?" is not about that date."""
        parts = [p for p in _SENTENCE_RE.split(_CJK_SPACE_RE.sub("。", question)) if p and p.strip()]
        asking = [p for p in parts if _ASKING_RE.search(p)]
        if len(parts) < 2 or not asking:
            return True
        asked = [unicodedata.normalize("NFKC", p).lower() for p in asking]
        if any(not self._content(p) for p in asking):  # "Is it possible?": refers to the sentence before
            return True
        return any(parsing.dates(p, today) or parsing.months(p, today) for p in asked)

    def _only_price_words(self, prepared: str) -> bool:
        """"吹塑机多少钱一台", "东莞到深圳的高铁多少钱": the only words the knowledge base knows ask
        "how much", and the rest (the thing priced) is Chinese it has never seen: another subject.
        Unknown Chinese words are otherwise invisible (unknown bigrams look like word boundaries)."""
        if not has_cjk(prepared):
            return False
        feats = features(prepared)
        known = [k for k in feats if k[0] in "wzb" and k in self._matcher.idf]
        price_chars = {ch for k in _PRICE_FEATURES if k.startswith("z:") for ch in k[2:]}

        def pricey(k: str) -> bool:
            return k in _PRICE_FEATURES or (k[0] == "z" and all(ch in price_chars or ch in ZH_STOP for ch in k[2:]))

        if not known or not all(pricey(k) for k in known):
            return False
        other = [k for k in feats if k[0] == "c" and k[2:] not in price_chars]
        return len(other) >= 2

    def _content(self, text: str) -> int:
        """How many words (or Chinese bigrams) of the text the knowledge base knows."""
        known, _, _ = self._matcher.query_weights(self._matcher.prepare_query(text))
        return len([k for k in known if k[0] in "wz"])

    def _validity_month(self, status: str, start: tuple[int, int], lang: str, today: dt.date) -> str:
        st = self.facts.statuses[status]
        name = st.name_en if lang == "en" else st.name_zh

        def label(y: int, m: int) -> str:
            return f"{y}年{m}月" if lang == "zh" else f"{dt.date(y, m, 1).strftime('%B')} {y}"

        parts = []
        for n in st.validity_months:
            end = parsing.add_months(dt.date(start[0], start[1], 1), n)
            key = "reapply_month" if status == "terminated" else "validity_month"
            if (end.year, end.month) < (today.year, today.month):
                key += "_past"
            parts.append(self._msg(key, lang, status=name, months=str(n), start=label(*start),
                                   end=label(end.year, end.month)))
        return " ".join(parts)

    def _outside_context(self, question: str) -> str | None:
        """"We did BSCI before; now our customer wants ETP: how much is the ETP registration fee?":
        an out-of-scope name in a sentence that only gives context does not sink a question that
        names the program and asks about it. Returns the sentences to answer, or None (decline)."""
        parts = [p.strip() for p in _SENTENCE_RE.split(question) if p and p.strip()]
        if len(parts) < 2:
            return None
        flagged = [p for p in parts if self._oos_terms.search(normalise(p))]
        kept = [p for p in parts if p not in flagged]
        if not kept or any(_ASKING_RE.search(p) for p in flagged):
            return None
        asking = [p for p in kept if _ASKING_RE.search(p)]
        if not asking or not any(_PROGRAM_RE.search(normalise(p)) for p in kept):
            return None
        return "，".join(kept) if has_cjk("".join(kept)) else ", ".join(kept)

    def _focus(self, question: str, ranking: list[tuple[float, int]]) -> list[tuple[float, int]]:
        """A long message ("Hi, I'm the compliance manager of … We registered last week … How long
        until the audit is done?"): its context dilutes the match, so the question sentence alone is
        ranked too and wins when it matches better."""
        tie = (len(ranking) > 1 and ranking[0][0] >= self.threshold
               and ranking[0][0] - ranking[1][0] < self.ambiguity_margin)
        if ranking and ranking[0][0] >= self.threshold and not tie:
            return ranking  # the whole message matched: its context helps more than it hurts
        # WeChat messages often separate sentences with spaces, not punctuation
        parts = [p.strip() for p in _SENTENCE_RE.split(_CJK_SPACE_RE.sub("。", question)) if p and p.strip()]
        if len(parts) < 2:
            return ranking
        asking = [p for p in parts if _ASKING_RE.search(p)]
        if len(asking) >= 2:  # "Is this real? How can I check?": short questions read together
            asking.append(" ".join(asking[-2:]))
        for j in range(1, len(parts)):
            # "…the system asks us to pay. How much is it?": a question without a subject of its own
            # is read with the sentence before it
            if parts[j] in asking and self._content(parts[j]) <= 1:
                asking.append(f"{parts[j - 1]} {parts[j]}")
        best = ranking
        joined = set(asking[len([p for p in parts if _ASKING_RE.search(p)]):])
        for part in asking or parts:
            prepared = self._matcher.prepare_query(part)
            known, _, _ = self._matcher.query_weights(prepared)
            if len([k for k in known if k[0] in "wz"]) < (1 if part in joined else 2):
                continue
            r = self._matcher.rank(prepared)
            if not r:
                continue
            if tie:
                # the whole message is torn between two topics (its story and its question): the
                # asking sentence decides when it clearly points to one of them
                clear = len(r) == 1 or r[0][0] - r[1][0] >= self.ambiguity_margin
                if clear and (r[0][0] >= ranking[0][0] or r[0][1] in {i for _, i in ranking[:2]}):
                    best = r
                continue
            if ranking and r[0][1] != ranking[0][1]:
                # the story's topic ("…PV company called us…") settles what the asking sentence
                # ("can we ask them to come after 2 months?") is about, when it is a close candidate
                ctx = [(sc, i) for sc, i in r[:3] if i == ranking[0][1] and sc >= max(self.threshold, r[0][0] - 0.2)]
                if ctx:
                    r = [(min(1.0, r[0][0] + 0.05), ctx[0][1]), *[x for x in r if x[1] != ctx[0][1]]]
            if not best or r[0][0] > best[0][0]:
                best = r
        return best

    def _several_questions(self, question: str, lang: str, today: dt.date,
                           ranking: list[tuple[float, int]]) -> Answer | None:
        """"注册费多少 审核一个人日多少 证书费多少", "When is the PV and how many workers are surveyed?":
        two or three clauses that each ask, each confidently about a different topic, get all their
        answers (each clause answered on its own, computed answers included; `topic` is the first's)."""
        norm = normalise(question)
        if parsing.man_days(norm) is not None and _TOTAL_WORDS.search(norm):
            return None  # "3 man-days … what else do we pay … how much altogether": one computed total
        parts = []
        for sentence in re.split(r"(?<=[?？])", _CJK_SPACE_RE.sub("。", question)):
            asked = sentence.rstrip().endswith(("?", "？"))
            pieces = [p.strip() for p in _CLAUSE_RE.split(sentence) if p and p.strip()]
            parts += [p for j, p in enumerate(pieces)
                      if _CLAUSE_ASK_RE.search(p) or (asked and j == len(pieces) - 1)]
        if len(parts) < 2:
            return None
        answers: list[Answer] = []
        for part in parts[:4]:
            prepared = self._matcher.prepare_query(part)
            known, _, _ = self._matcher.query_weights(prepared)
            if not [k for k in known if k[0] in "wz"]:
                continue
            a = self._answer(part, lang, today, split=False)
            if a.topic is None and a.suggestions:  # a near tie: maybe the other clauses settle it
                areas_a = {x.topic.split(".", 1)[0] for x in a.suggestions}
                overview = f"{areas_a.pop()}.overview" if len(areas_a) == 1 else ""
                if overview.split(".")[0] in AREA_OVERVIEWS and overview in self.by_id:
                    a = self._render(self.by_id[overview], lang, today, {}, a.confidence)
                answers.append(a)
            elif a.topic and a.topic != EMERGENCY_TOPIC and a.confidence >= CLAUSE_SURE:
                answers.append(a)
        # a clause torn between topics, or matched in another area than the rest ("PV什么时候来？
        # 会看多少工人？": the PV's worker survey, not the audit's interviews), takes the candidate
        # of an area another clause is sure about
        areas = {a.topic.split(".", 1)[0] for a in answers if a.topic}
        picks: list[Answer] = []
        for a, part in zip(answers, parts, strict=False):
            area = a.topic.split(".", 1)[0] if a.topic else None
            named = area in _AREA_WORDS and _AREA_WORDS[area].search(self._matcher.prepare_query(part))
            if area is None or (len(areas) > 1 and area not in areas - {area} and not named):
                other = areas - {area} if area else areas
                r = [x for x in self._matcher.rank(self._matcher.prepare_query(part))[:3]
                     if not self.entries[x[1]].declines]
                alt = [(sc, i) for sc, i in r if self.entries[i].id.split(".", 1)[0] in other
                       and sc >= max(self.threshold, r[0][0] - 0.2)]
                if alt:
                    a = self._render(self.entries[alt[0][1]], lang, today, {}, alt[0][0])
                elif a.topic is None:
                    continue
            if a.topic and all(a.topic != p.topic for p in picks):
                picks.append(a)
        if len(picks) < 2:
            return None
        whole = ranking[0] if ranking else (0.0, -1)
        if (whole[0] >= CLAUSE_SURE and self.entries[whole[1]].id not in {p.topic for p in picks}
                and whole[0] > picks[0].confidence):
            return None  # the whole question points elsewhere, more strongly
        picks = picks[:3]
        return Answer(" ".join(p.answer for p in picks), picks[0].topic, round(min(p.confidence for p in picks), 3),
                      lang, any(p.handoff for p in picks), [], "; ".join(p.source or "" for p in picks))

    def _fee_named(self, norm: str, ranking: list[tuple[float, int]]) -> Entry | None:
        """"Is the certification fee 800 dollars?", "can we get the certificate without paying the 800?":
        a fee's own figure names that fee, when the words alone leave it unsure or among the top three."""
        if not _MONEY_RE.search(norm) or _FEE_DETAIL_RE.search(norm):
            return None  # "we have 800 workers": a figure, but not money; "500 含税吗": not the fee itself
        f = self.facts.fees
        by_figure = {f.registration_usd: "fees.registration", f.certification_usd: "fees.certification",
                     f.audit_per_man_day_usd: "fees.audit"}
        hits = {by_figure[int(n)] for n in re.findall(r"(?<![\d.])(\d{3,4})(?![\d.])", norm) if int(n) in by_figure}
        if len(hits) != 1 or (topic := hits.pop()) not in self.by_id:
            return None
        entry = self.by_id[topic]
        top = [self.entries[i].id for _, i in ranking[:3]]
        unsure = not ranking or ranking[0][0] < self.threshold or (
            len(ranking) > 1 and ranking[0][0] - ranking[1][0] < self.ambiguity_margin)
        return entry if unsure and (topic in top or not ranking or ranking[0][0] < self.threshold) else None

    def _foreign_share(self, prepared: str) -> float:
        """Share of a one-sentence Chinese question's character bigrams that no entry uses."""
        if len([p for p in _SENTENCE_RE.split(_CJK_SPACE_RE.sub("。", prepared)) if p.strip()]) > 1:
            return 0.0  # a story around the question: its own words are expected to be unknown
        z = [k for k in features(prepared) if k[0] == "z"]
        return sum(1 for k in z if k not in self._matcher.idf) / len(z) if len(z) >= 4 else 0.0

    def _area_overview(self, ranking: list[tuple[float, int]]) -> Entry | None:
        """Not sure which fee, but sure it is about fees: the top three candidates are all of one area
        ("…the system asks us to pay. How much is it?") whose overview gives all its figures."""
        top = ranking[:3]
        if len(top) < 3 or top[0][0] < AREA_FLOOR or top[-1][0] < SUGGEST_FLOOR:
            return None
        areas = {self.entries[i].id.split(".", 1)[0] for _, i in top}
        if len(areas) != 1 or not areas <= AREA_OVERVIEWS:
            return None
        return self.by_id.get(f"{areas.pop()}.overview")

    def _both(self, question: str, lang: str, today: dt.date,
              ranking: list[tuple[float, int]]) -> Answer | None:
        """"工人热线和服务台电话分别是多少": one question about two things (分别, both, respectively)
        gets the two close topics it matches."""
        if len(ranking) < 2 or not _BOTH_RE.search(question):
            return None
        (s1, i1), (s2, i2) = ranking[:2]
        if s2 < max(self.threshold, s1 - 0.15) or self.entries[i2].declines or self.entries[i1].declines:
            return None
        a1 = self._render(self.entries[i1], lang, today, {}, s1)
        a2 = self._render(self.entries[i2], lang, today, {}, s2)
        return Answer(f"{a1.answer} {a2.answer}", a1.topic, round(s2, 3), lang, a1.handoff or a2.handoff,
                      [], f"{a1.source}; {a2.source}")

    def _not_sure(self, ranking: list[tuple[float, int]], lang: str) -> Answer:
        sugg = [Suggestion(self.entries[i].id, self.entries[i].title[lang])
                for s, i in ranking[:3] if s >= self.suggest_floor and not self.entries[i].declines]
        suggest = self._msg("suggest", lang, list=self._join([s.title for s in sugg], lang)) if sugg else ""
        conf = ranking[0][0] if ranking else 0.0
        return Answer(self._msg("not_sure", lang, suggest=suggest), None, round(conf, 3), lang, True, sugg)

    def _boost_status(self, norm: str, ranking: list[tuple[float, int]]) -> list[tuple[float, int]]:
        """'How long does remediation last?': a named status plus validity words means that status."""
        status = self._status_in(norm)
        if status == "certified" and _VALIDITY_WORDS.search(norm):
            # "证书多久有效": among close candidates (the certificate fee, getting the certificate)
            # the validity of Certified status is meant
            idx = next((i for i, e in enumerate(self.entries) if e.id == "status.certified"), None)
            if ranking and any(i == idx for _, i in ranking[:3]) and ranking[0][0] < self.sure:
                out = [(min(1.0, s + STATUS_NAMED_BOOST) if i == idx else s, i) for s, i in ranking]
                return sorted(out, key=lambda x: -x[0])
            return ranking
        if status in (None, "certified"):
            return ranking
        if _VALIDITY_WORDS.search(norm) or _NEXT_STEP_WORDS.search(norm):
            boost = STATUS_BOOST
        elif status != "remediation":  # "remediation" is also the programme, not only the status
            boost = STATUS_NAMED_BOOST
        else:
            return ranking
        idx = next((i for i, e in enumerate(self.entries) if e.id == f"status.{status}"), None)
        generic = self.entries[ranking[0][1]].id.split(".", 1)[0] in ("status", "steps") if ranking else False
        if idx is None or (ranking and ranking[0][0] >= self.sure and ranking[0][1] != idx
                           and not (boost == STATUS_BOOST and generic)):
            return ranking  # another topic matched outright ("how to get from assessed to certified")
        top = ranking[0][0] if ranking else 0.0
        if boost == STATUS_BOOST:
            # "we're Assessed, how long does that last?": the named status decides, whatever else
            # the message's story matched
            lift = max(boost + self.threshold, min(1.0, top + 0.05))
            out = [(max(min(1.0, s + boost), lift) if i == idx else s, i) for s, i in ranking]
            if idx not in {i for _, i in ranking}:
                out.append((lift, idx))
        else:
            out = [(min(1.0, s + boost) if i == idx else s, i) for s, i in ranking]
        out.sort(key=lambda x: -x[0])
        return out

    def _status_in(self, norm: str) -> str | None:
        for key, pat in _STATUS_WORDS:
            if pat.search(norm):
                return key
        return None

    # ------------------------------------------------------------------ rendering and computing
    def _render(self, entry: Entry, lang: str, today: dt.date, slots: dict, confidence: float) -> Answer:
        text = entry.answer[lang]
        if entry.compute:
            text = _COMPUTE[entry.compute](self, entry, lang, today, slots) or text
        if entry.declines:
            return Answer(text, None, round(min(1.0, max(0.0, confidence)), 3), lang, True, [], None)
        return Answer(text, entry.id, round(min(1.0, max(0.0, confidence)), 3), lang, entry.handoff, [],
                      entry.source)

    def _tpl(self, entry: Entry, tname: str, lang: str, **slots: object) -> str:
        return _SLOT_RE.sub(lambda m: _fmt(slots[m.group(1)], lang), entry.templates[tname][lang])


def _unit(table: dict, key: str, default: float, file: str) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise KnowledgeError(file, "engine", f"{key!r} must be a number between 0 and 1")
    return float(value)


def _fmt(value: object, lang: str) -> str:
    if isinstance(value, dt.date):
        if lang == "zh":
            return f"{value.year}年{value.month}月{value.day}日"
        return f"{value.day} {value.strftime('%B')} {value.year}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _audit_fee(kb: KnowledgeBase, entry: Entry, lang: str, today: dt.date, slots: dict) -> str | None:
    n = slots.get("man_days")
    if n is None:
        return None
    fee = float(n) * kb.facts.fees.audit_per_man_day_usd
    return kb._tpl(entry, "computed", lang, n=float(n), audit=fee)


def _total_cost(kb: KnowledgeBase, entry: Entry, lang: str, today: dt.date, slots: dict) -> str | None:
    n = slots.get("man_days")
    if n is None:
        return None
    f = kb.facts.fees
    audit = float(n) * f.audit_per_man_day_usd
    total = f.registration_usd + audit + f.certification_usd
    return kb._tpl(entry, "computed", lang, n=float(n), audit=audit, total=float(total))


def _blackout(kb: KnowledgeBase, entry: Entry, lang: str, today: dt.date, slots: dict) -> str | None:
    dates = slots.get("dates")
    if dates:
        parts = []
        for d in dates[:2]:
            w = kb.blackout_for(d)
            if w is not None:
                parts.append(kb._tpl(entry, "in_window", lang, date=d, name=w.name_en if lang == "en"
                                     else w.name_zh, start=w.start, end=w.end))
            else:
                parts.append(kb._tpl(entry, "outside", lang, date=d, windows=_windows_text(kb, lang, d.year)))
        return " ".join(parts)
    months = slots.get("months")
    if months:
        parts = []
        for y, m in months[:2]:
            first = dt.date(y, m, 1)
            last = parsing.add_months(first, 1) - dt.timedelta(days=1)
            label = f"{y}年{m}月" if lang == "zh" else f"{first.strftime('%B')} {y}"
            hits = [w for w in kb.blackouts if w.start <= last and w.end >= first]
            if hits:
                w = hits[0]
                parts.append(kb._tpl(entry, "month_overlap", lang, month=label, name=w.name_en if lang == "en"
                                     else w.name_zh, start=w.start, end=w.end))
            else:
                parts.append(kb._tpl(entry, "month_outside", lang, month=label, windows=_windows_text(kb, lang, y)))
        return " ".join(parts)
    years = slots.get("years") or []
    want = [w for w in kb.blackouts if years and (w.start.year in years or w.end.year in years)]
    if not want:
        want = [w for w in kb.blackouts if w.end >= today] if not years else []
    if want:
        return " ".join(kb._tpl(entry, "window", lang, name=w.name_en if lang == "en" else w.name_zh,
                                start=w.start, end=w.end) for w in want)
    latest = kb.blackouts[-1] if kb.blackouts else None
    if latest is None:
        return kb._tpl(entry, "none", lang, year=str(years[0] if years else today.year))
    tname = "none_since" if years else "none_upcoming"
    return kb._tpl(entry, tname, lang, year=str(years[0] if years else today.year),
                   name=latest.name_en if lang == "en" else latest.name_zh, start=latest.start, end=latest.end)


def _windows_text(kb: KnowledgeBase, lang: str, year: int) -> str:
    ws = [w for w in kb.blackouts if w.start.year == year or w.end.year == year] or kb.blackouts[-1:]
    sep = "; " if lang == "en" else "；"
    if lang == "zh":
        return sep.join(f"{w.name_zh}：{_fmt(w.start, lang)}至{_fmt(w.end, lang)}" for w in ws)
    return sep.join(f"{w.name_en}: {_fmt(w.start, lang)} – {_fmt(w.end, lang)}" for w in ws)


def _validity(kb: KnowledgeBase, entry: Entry, lang: str, today: dt.date, slots: dict) -> str | None:
    dates = slots.get("dates")
    status = slots.get("status") or entry.id.split(".", 1)[1]
    if not dates or status not in kb.facts.statuses:
        return None
    st = kb.facts.statuses[status]
    start = dates[0]
    name = st.name_en if lang == "en" else st.name_zh
    parts = []
    for months in st.validity_months:
        end = parsing.add_months(start, months)
        left = (end - today).days
        tname = "reapply" if status == "terminated" else "validity"
        tname += "_left" if left >= 0 else "_past"
        parts.append(kb._tpl(entry, tname, lang, status=name, months=months, start=start, end=end,
                             days=abs(left), today=today))
    return " ".join(parts)


def _pv_window(kb: KnowledgeBase, entry: Entry, lang: str, today: dt.date, slots: dict) -> str | None:
    dates = slots.get("dates")
    if not dates:
        return None
    raw = kb.facts.raw.get("pv", {})
    start = dates[0]
    first = parsing.add_months(start, int(raw.get("contact_from_months", 2)))
    last = parsing.add_months(start, int(raw.get("contact_to_months", 4)))
    return kb._tpl(entry, "computed", lang, start=start, first=first, last=last)


_COMPUTE = {"audit_fee": _audit_fee, "total_cost": _total_cost, "blackout": _blackout,
            "validity": _validity, "pv_window": _pv_window}
