"""Commands and queries: frozen dataclasses that name their result type.

    @dataclass(frozen=True)
    class RenameSubject(Command[Subject]):
        subject_id: int
        name: str

        def permits(self, user: Actor) -> bool:
            return is_authenticated(user)

`Command[Subject]` is what lets `command_bus.dispatch(RenameSubject(...), user=u)` be typed
`Subject` for mypy.
"""

from __future__ import annotations

from typing import ClassVar, Generic, TypeAlias, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from studymate_api.core.errors import ApplicationError, PermissionDenied

# Whoever sends a message: a signed-in user, an anonymous visitor, or the system (None).
Actor: TypeAlias = AbstractBaseUser | AnonymousUser | None

__all__ = ["Actor", "Command", "Message", "Query", "is_authenticated", "is_staff", "message_name"]

R_co = TypeVar("R_co", covariant=True)


class Message(Generic[R_co]):
    """What commands and queries share: a permission predicate checked before the handler."""

    # The error a refused actor gets. NotFound where a refusal would reveal that an object exists.
    denied_as: ClassVar[type[ApplicationError]] = PermissionDenied

    def permits(self, user: Actor) -> bool:
        """Whether `user` may send this message; anyone by default."""
        return True


class Command(Message[R_co]):
    """Changes state; runs in one transaction and may record domain events."""


class Query(Message[R_co]):
    """Reads state; never records events."""


def message_name(message_type: type[Message[object]]) -> str:
    """A stable, readable name for logs, metrics and reports: `<app module>.<class>`."""
    return f"{message_type.__module__}.{message_type.__qualname__}"


def check_message_type(message_type: type[Message[object]], base: type[Message[object]]) -> None:
    if not (isinstance(message_type, type) and issubclass(message_type, base)):
        raise TypeError(f"{message_type!r} is not a {base.__name__} subclass")
    params = getattr(message_type, "__dataclass_params__", None)
    if params is None or not params.frozen:
        raise TypeError(f"{message_name(message_type)} must be a frozen dataclass")


def is_authenticated(user: Actor) -> bool:
    return user is not None and bool(user.is_authenticated)


def is_staff(user: Actor) -> bool:
    return is_authenticated(user) and bool(getattr(user, "is_staff", False))
