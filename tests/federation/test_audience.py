from federation.audience import ANONYMOUS, Audience, Reader, can_read

AUTHOR = "https://a.example/actors/tenants"
ALICE = "https://b.example/users/alice"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _doc(to: list[str], cc: list[str] | None = None) -> dict[str, object]:
    return {"attributedTo": AUTHOR, "to": to, "cc": cc or []}


def test_public_objects_are_for_everyone() -> None:
    for form in (PUBLIC, "as:Public", "Public"):
        assert can_read(Audience.of(_doc([form])), ANONYMOUS)


def test_followers_only_is_for_accepted_followers_only() -> None:
    audience = Audience.of(_doc([f"{AUTHOR}/followers"]))
    assert not audience.public
    assert audience.to_followers
    assert not can_read(audience, ANONYMOUS)
    assert not can_read(audience, Reader(ALICE))
    assert can_read(audience, Reader(ALICE, follows_author=True))
    assert can_read(audience, Reader(AUTHOR))


def test_a_direct_message_is_for_the_actors_it_names() -> None:
    audience = Audience.of(_doc([ALICE]))
    assert can_read(audience, Reader(ALICE))
    assert not can_read(audience, Reader("https://c.example/users/mallory"))
    # following the author does not open a message that is not addressed to followers
    assert not can_read(
        audience, Reader("https://c.example/users/bob", follows_author=True)
    )


def test_references_as_objects_count_as_addressed() -> None:
    audience = Audience.of({"attributedTo": {"id": AUTHOR}, "to": [{"id": ALICE}]})
    assert audience.author == AUTHOR
    assert can_read(audience, Reader(ALICE))
