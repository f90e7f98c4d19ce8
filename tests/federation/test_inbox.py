import pytest

from federation.errors import DocumentError, OriginMismatchError, SignatureInvalidError
from federation.inbox import accept

ALICE = "https://m.example/users/alice"


def test_accepts_activity_signed_by_its_actor() -> None:
    act = accept(
        {
            "id": f"{ALICE}#follow/1",
            "type": "Follow",
            "actor": ALICE,
            "object": "https://us.example/actors/x",
        },
        signer=ALICE,
    )
    assert act.type == "Follow"
    assert act.object_id == "https://us.example/actors/x"


def test_signer_other_than_actor_is_refused() -> None:
    with pytest.raises(SignatureInvalidError, match="not by the activity's actor"):
        accept(
            {"type": "Follow", "id": f"{ALICE}#f", "actor": ALICE, "object": "x"},
            signer="https://m.example/users/mallory",
        )


def test_actor_given_as_object_is_read_by_id() -> None:
    assert (
        accept(
            {
                "type": "Like",
                "id": f"{ALICE}#like",
                "actor": {"id": ALICE},
                "object": "x",
            },
            signer=ALICE,
        ).actor
        == ALICE
    )


def test_id_on_another_origin_is_refused() -> None:
    with pytest.raises(OriginMismatchError):
        accept(
            {
                "id": "https://evil.example/1",
                "type": "Follow",
                "actor": ALICE,
                "object": "x",
            },
            signer=ALICE,
        )


@pytest.mark.parametrize(
    "activity",
    [
        [],
        {"actor": ALICE},
        {"type": ["Follow", "X"], "actor": ALICE},
        {"type": "Follow"},
        {"type": "Follow", "actor": "mailto:x"},
        {"type": "Follow", "actor": ALICE, "id": 5},
    ],
    ids=["not-object", "no-type", "array-type", "no-actor", "bad-actor", "numeric-id"],
)
def test_malformed_activities_are_refused(activity: object) -> None:
    with pytest.raises(DocumentError):
        accept(activity, signer=ALICE)


def test_an_activity_without_an_id_is_refused() -> None:
    """Without an id a replay cannot be told from the original (processed once)."""
    with pytest.raises(DocumentError) as refused:
        accept({"type": "Like", "actor": ALICE, "object": "x"}, signer=ALICE)
    assert refused.value.code == "activity_without_id"
    assert refused.value.status == 400
