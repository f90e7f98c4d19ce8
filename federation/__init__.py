"""ActivityPub, knowing nothing of movements: the surface node/ uses.

The pure core is re-exported here (values in, values out, no I/O). The edges that do I/O
are imported from their own modules: federation.fetch.client (the safe fetcher),
federation.delivery.worker and federation.delivery.pgqueue (the delivery queue).
"""

from federation import retry
from federation.audience import ANONYMOUS, PUBLIC_FORMS, Audience, Reader, can_read
from federation.delivery.plan import Recipient, plan_inboxes, recipient_of
from federation.errors import (
    DocumentError,
    FederationError,
    FetchRefusedError,
    OriginMismatchError,
    SignatureError,
    SignatureExpiredError,
    SignatureFormatError,
    SignatureInvalidError,
)
from federation.inbox import IncomingActivity, accept
from federation.origin import authority, origin_of, same_origin
from federation.types import HttpRequest, SignatureClaim
from federation.vocab.activities import AS_CONTEXT, PUBLIC
from federation.vocab.read import addressed, as_list, id_of
from federation.vocab.shapes import Activity, ActorDocument, Tombstone

__all__ = [
    "ANONYMOUS",
    "AS_CONTEXT",
    "PUBLIC",
    "PUBLIC_FORMS",
    "Activity",
    "ActorDocument",
    "Audience",
    "DocumentError",
    "FederationError",
    "FetchRefusedError",
    "HttpRequest",
    "IncomingActivity",
    "OriginMismatchError",
    "Reader",
    "Recipient",
    "SignatureClaim",
    "SignatureError",
    "SignatureExpiredError",
    "SignatureFormatError",
    "SignatureInvalidError",
    "Tombstone",
    "accept",
    "addressed",
    "as_list",
    "authority",
    "can_read",
    "id_of",
    "origin_of",
    "plan_inboxes",
    "recipient_of",
    "retry",
    "same_origin",
]
