"""Who acts, and what their role lets them do (pure).

A request acts for one group (or for the node) as one principal: a person's account
(signed in, or through one of their API tokens), or a group's shared token from before
accounts (it acts as the group's admin until the group is claimed).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from node.domain.actors import LocalActor


class Role(StrEnum):
    VIEWER = "viewer"  # reads the inbox and the pledges
    EDITOR = "editor"  # publishes, edits, deletes, answers the inbox
    ADMIN = "admin"  # people and settings


class Need(StrEnum):
    """What an action needs: the least role that may do it."""

    READ = "viewer"
    WRITE = "editor"
    ADMIN = "admin"


RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.ADMIN: 3}
INVITATION_DAYS = 7  # how long an invitation link lasts, unless told otherwise
# a token's scope caps the role its account holds
SCOPE_ROLE = {"read": Role.VIEWER, "write": Role.EDITOR, "admin": Role.ADMIN}
SCOPES = tuple(SCOPE_ROLE)
# actions a group may put under the two-person rule
TWO_PERSON_ACTIONS = ("delete", "remove_admin")
# and the node's (its admins are the node's operators)
NODE_TWO_PERSON_ACTIONS = (
    *TWO_PERSON_ACTIONS,
    "leave_confederation",
    "confederation_vote",
)


def two_person_actions(kind: str) -> tuple[str, ...]:
    """The actions an actor of this kind may put under the two-person rule."""
    return NODE_TWO_PERSON_ACTIONS if kind == "node" else TWO_PERSON_ACTIONS


def allows(role: Role | str, need: Need) -> bool:
    return RANK[Role(role)] >= RANK[Role(need.value)]


def capped(role: Role | str, scope: str) -> Role:
    """The role a token of `scope` gives an account that holds `role`."""
    held, cap = Role(role), SCOPE_ROLE[scope]
    return held if RANK[held] <= RANK[cap] else cap


@dataclass(frozen=True, slots=True)
class Acting:
    """The principal behind a request, for the role checks and the audit trail."""

    actor: LocalActor | None  # the group it acts for (None: an account without one)
    role: Role | None
    via: str  # session | token | group_token
    account_id: int | None = None
    account_name: str | None = None
    operator: bool = False
    token_id: int | None = None

    def may(self, need: Need) -> bool:
        return self.role is not None and allows(self.role, need)

    def group_for(self, need: Need) -> LocalActor | None:
        """The group this acts for, when its role there is at least `need`."""
        return self.actor if self.actor is not None and self.may(need) else None

    @property
    def shared(self) -> bool:
        """A group's shared token (or a session it opened): no person behind it."""
        return self.account_id is None
