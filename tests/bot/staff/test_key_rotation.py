"""Cases stay readable and findable by receipt across a key rotation."""

from bot.core.crypto import Secrets
from bot.services import cases
from bot.services.keys import rotate_keys
from tests.casekit import file_helpline_report
from tests.conftest import SECRET

NEW_KEY = "a-brand-new-secret-key-0123456789abcdefgh"


async def test_rotation_re_encrypts_and_receipts_move_to_the_new_key_when_used(chat, runtime) -> None:
    ref = await file_helpline_report(chat, "unpaid wages")
    both = Secrets(NEW_KEY, (SECRET,))
    report = await rotate_keys(runtime.db, both)
    assert report.rows["cases"] == 1 and report.rows["case_messages"] == 1
    new_only = Secrets(NEW_KEY)
    async with runtime.db.session() as s:
        # the receipt is not stored, so its hash cannot be recomputed by the rotation: the old key
        # still finds it, and the first look-up re-hashes it under the new key
        assert await cases.find_case(s, new_only, ref) is None
        case = await cases.find_case(s, both, ref)
        assert case is not None
    async with runtime.db.session() as s:
        case = await cases.find_case(s, new_only, ref)
        assert case is not None and await cases.find_case(s, Secrets(SECRET), ref) is None
        (message,) = await cases.messages(s, case)
        # sealed to the case key: opened with the receipt, and by the server (no queue key yet)
        # through the case's private key, now under the new server key
        assert cases.read(new_only, cases.private_for_reporter(case, ref), message.body_enc) == "unpaid wages"
        assert cases.read(new_only, cases.private_for_staff(new_only, case, None), message.body_enc) == "unpaid wages"
        assert cases.linked_contact_id(new_only, case) is not None


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
