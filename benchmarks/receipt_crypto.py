"""Cost of the receipt and key protocol (docs/cases.md "Encryption protocol"), as ratios against a
reference in the same process: one HMAC-SHA256 look-up hash (what a receipt cost before).

Measures, median of ROUNDS runs on one core: a receipt look-up hash (Argon2id over the HMAC, one
per known server key), opening a case key with a receipt (Argon2id with the case's salt), opening a
member key with a password, a new case's keys, sealing a message to a case key, and opening a
sealed message. A wrong receipt typed by a reporter costs one look-up hash per known key; a right
one, the look-up and the receipt key.

    PYTHONPATH=. python benchmarks/receipt_crypto.py [--rounds 15]
"""
from __future__ import annotations

import argparse

from timing import median_seconds, pin_to_one_core

from bot.core import sealing
from bot.core.crypto import Secrets
from bot.services import cases
from bot.services.references import new_reference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    print(pin_to_one_core())
    secrets = Secrets("benchmark-secret-key-0123456789abcdefghij")
    receipt = new_reference("helpline")
    keys = cases.case_keys(secrets, receipt, sealing.new_key_pair()[0])
    public, private = sealing.new_key_pair()
    salt = sealing.new_salt()
    wrapped = sealing.wrap(sealing.slow_key("a password", salt), private)
    sealed = sealing.seal(public, "a report of a few hundred characters " * 8)

    reference = median_seconds(lambda: [secrets.lookup_hash(receipt) for _ in range(1000)], args.rounds) / 1000
    rows = [
        ("receipt look-up hash (per known key)", lambda: secrets.receipt_hash(receipt)),
        ("case key opened with the receipt", lambda: sealing.unwrap(
            sealing.slow_key(receipt, keys["receipt_salt"], sealing.RECEIPT_COST), keys["private_by_receipt"])),
        ("member key opened with the password", lambda: sealing.unwrap(sealing.slow_key("a password", salt), wrapped)),
        ("new case keys", lambda: cases.case_keys(secrets, receipt, public)),
        ("message sealed to the case key", lambda: sealing.seal(public, "a report " * 30)),
        ("sealed message opened", lambda: sealing.unseal(private, sealed)),
    ]
    print(f"reference: one HMAC-SHA256 look-up hash = {reference * 1e6:.1f} µs")
    for name, fn in rows:
        seconds = median_seconds(fn, args.rounds)
        print(f"{name:40s} {seconds * 1000:8.2f} ms   {seconds / reference:10.0f} × reference")


if __name__ == "__main__":
    main()
