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


async def test_rotation_re_encrypts_the_second_factor_and_members_still_sign_in(console, accounts, runtime) -> None:
    from sqlalchemy import select

    from bot.core.models.cases import StaffUser

    async with runtime.db.session() as s:
        before = (await s.execute(select(StaffUser).where(StaffUser.email == "line@etp.org"))).scalar_one()
    secret = runtime.services.secrets.decrypt(before.totp_secret_enc)
    report = await rotate_keys(runtime.db, Secrets(NEW_KEY, (SECRET,)))
    assert report.rows["staff_users"] == 4
    async with runtime.db.session() as s:
        after = (await s.execute(select(StaffUser).where(StaffUser.email == "line@etp.org"))).scalar_one()
    assert Secrets(NEW_KEY).decrypt(after.totp_secret_enc) == secret
    runtime.services.secrets = Secrets(NEW_KEY)  # the server restarted with the new key alone
    assert (await (await console()).login("line@etp.org")).headers["Location"] == "/staff/"
