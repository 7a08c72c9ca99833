"""Cases stay readable and findable by reference across a key rotation."""

from bot.core.crypto import Secrets
from bot.services import cases
from bot.services.keys import rotate_keys
from tests.casekit import file_helpline_report
from tests.conftest import SECRET

NEW_KEY = "a-brand-new-secret-key-0123456789abcdefgh"


async def test_rotation_re_encrypts_and_re_hashes_references(chat, runtime) -> None:
    ref = await file_helpline_report(chat, "unpaid wages")
    both = Secrets(NEW_KEY, (SECRET,))
    async with runtime.db.session() as s:
        assert await cases.find_case(s, both, ref) is not None  # found by the old hash meanwhile
    report = await rotate_keys(runtime.db, both)
    assert report.rows["cases"] == 1 and report.rows["case_messages"] == 1
    new_only = Secrets(NEW_KEY)
    async with runtime.db.session() as s:
        case = await cases.find_case(s, new_only, ref)
        (message,) = await cases.messages(s, case)
        assert new_only.decrypt(message.body_enc) == "unpaid wages"
        assert cases.reference(new_only, case) == ref
        assert await cases.find_case(s, Secrets(SECRET), ref) is None
