"""The load run's judgement of what the clients were told against what is stored.

A worker killed after a delete committed loses the delete's answer (nginx says
503): the client cannot know whether the file is gone, so either is right,
but a file that is still there must be intact.
"""

from __future__ import annotations

from bench.load import Acknowledged, compare

KEPT = Acknowledged("user0", "kept.bin", "a" * 64)


def test_an_acknowledged_upload_must_be_there_with_its_bytes() -> None:
    assert compare([KEPT], {"kept.bin": "a" * 64}) == ([], 0)
    assert compare([KEPT], {}) == (["kept.bin: acknowledged but missing or changed"], 0)
    assert compare([KEPT], {"kept.bin": "b" * 64}) == (
        ["kept.bin: acknowledged but missing or changed"],
        0,
    )


def test_an_answered_delete_must_have_removed_the_file() -> None:
    deleted = Acknowledged("user0", "gone.bin", "a" * 64, deleted=True)

    assert compare([deleted], {}) == ([], 0)
    assert compare([deleted], {"gone.bin": "a" * 64}) == (
        ["gone.bin: deleted (302) but still there"],
        0,
    )


def test_a_delete_without_an_answer_may_have_happened_but_never_damages() -> None:
    unsure = Acknowledged("user0", "unsure.bin", "a" * 64, maybe_deleted=True)

    assert compare([unsure], {}) == ([], 1)
    assert compare([unsure], {"unsure.bin": "a" * 64}) == ([], 0)
    assert compare([unsure], {"unsure.bin": "b" * 64}) == (
        ["unsure.bin: acknowledged but missing or changed"],
        0,
    )
