"""The command bus and the query bus: one handler per message type, behind a middleware chain.

Apps register handlers at start (in `AppConfig.ready`, by importing their handlers module):

    @command_handler(RenameSubject, sample=sample_rename_subject)
    def rename_subject(command: RenameSubject, context: CommandContext) -> Subject:
        ...
        context.record_event(aggregate_type="subject", aggregate_id=subject.pk, ...)
        return subject

    subject = command_bus.dispatch(RenameSubject(subject_id=1, name="Algebra"), user=request.user)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, TypeVar

from studymate_api.core.models import DomainEvent

from .context import CommandContext, Context, Middleware
from .errors import AlreadyRegistered, NotRegistered
from .messages import Actor, Command, Message, Query, check_message_type, message_name
from .middleware import COMMAND_MIDDLEWARE, QUERY_MIDDLEWARE

__all__ = [
    "CommandBus",
    "QueryBus",
    "Registration",
    "Sample",
    "command_bus",
    "command_handler",
    "query_bus",
    "query_handler",
]

R = TypeVar("R")
C = TypeVar("C", bound=Command[Any])
Q = TypeVar("Q", bound=Query[Any])


@dataclass(frozen=True)
class Sample:
    """A command worth running for `cqrs_management --test-commands`, and who sends it."""

    command: Command[Any]
    user: Actor = None


@dataclass(frozen=True)
class Registration:
    message_type: type[Message[Any]]
    handler: Callable[[Any, Any], Any]
    # Builds a Sample inside the rolled-back test transaction (so it may create rows).
    sample: Callable[[], Sample] | None = None

    @property
    def name(self) -> str:
        return message_name(self.message_type)


class _Bus:
    kind: ClassVar[str]
    base: ClassVar[type[Message[Any]]]
    context_class: ClassVar[type[Context]]

    def __init__(self, middleware: Sequence[Middleware]) -> None:
        self.middleware = tuple(middleware)
        self._lock = threading.Lock()
        self._registrations: dict[type[Message[Any]], Registration] = {}

    def unregister(self, message_type: type[Message[Any]]) -> None:
        with self._lock:
            self._registrations.pop(message_type, None)

    def registrations(self) -> list[Registration]:
        """In registration order."""
        return list(self._registrations.values())

    def _register(self, registration: Registration) -> None:
        check_message_type(registration.message_type, self.base)
        with self._lock:
            existing = self._registrations.get(registration.message_type)
            if existing is not None:
                raise AlreadyRegistered(
                    f"{registration.name} already has a handler: {existing.handler!r}"
                )
            self._registrations[registration.message_type] = registration

    def _run(self, message: Message[Any], context: Context) -> Any:
        registration = self._registrations.get(type(message))
        if registration is None:
            raise NotRegistered(f"no {self.kind} handler for {message_name(type(message))}")
        chain = self.middleware

        def call(index: int) -> Any:
            if index == len(chain):
                return registration.handler(message, context)
            return chain[index](message, context, partial(call, index + 1))

        return call(0)

    def _context(self, message: Message[Any], user: Actor) -> Any:
        return self.context_class(
            user=user, kind=self.kind, message_name=message_name(type(message))
        )


class CommandBus(_Bus):
    kind = "command"
    base = Command
    context_class = CommandContext

    def __init__(self, middleware: Sequence[Middleware] | None = None) -> None:
        super().__init__(COMMAND_MIDDLEWARE if middleware is None else middleware)

    def register(
        self,
        command_type: type[Command[R]],
        handler: Callable[[C, CommandContext], R],
        *,
        sample: Callable[[], Sample] | None = None,
    ) -> None:
        """Register the one handler of `command_type`; a second registration is an error."""
        self._register(Registration(command_type, handler, sample))

    def dispatch(self, command: Command[R], *, user: Actor) -> R:
        result, _events = self.dispatch_with_events(command, user=user)
        return result

    def dispatch_with_events(
        self, command: Command[R], *, user: Actor
    ) -> tuple[R, list[DomainEvent]]:
        """Dispatch, and also return the events the handler recorded (not yet committed if an
        outer transaction is open)."""
        context: CommandContext = self._context(command, user)
        result: R = self._run(command, context)
        return result, context.events


class QueryBus(_Bus):
    kind = "query"
    base = Query
    context_class = Context

    def __init__(self, middleware: Sequence[Middleware] | None = None) -> None:
        super().__init__(QUERY_MIDDLEWARE if middleware is None else middleware)

    def register(self, query_type: type[Query[R]], handler: Callable[[Q, Context], R]) -> None:
        """Register the one handler of `query_type`; a second registration is an error."""
        self._register(Registration(query_type, handler))

    def dispatch(self, query: Query[R], *, user: Actor) -> R:
        result: R = self._run(query, self._context(query, user))
        return result


command_bus = CommandBus()
query_bus = QueryBus()


def command_handler(
    command_type: type[Command[R]],
    *,
    sample: Callable[[], Sample] | None = None,
    bus: CommandBus | None = None,
) -> Callable[[Callable[[C, CommandContext], R]], Callable[[C, CommandContext], R]]:
    """Register the decorated function as the handler of `command_type` (on `command_bus`)."""

    def decorator(handler: Callable[[C, CommandContext], R]) -> Callable[[C, CommandContext], R]:
        (bus or command_bus).register(command_type, handler, sample=sample)
        return handler

    return decorator


def query_handler(
    query_type: type[Query[R]], *, bus: QueryBus | None = None
) -> Callable[[Callable[[Q, Context], R]], Callable[[Q, Context], R]]:
    """Register the decorated function as the handler of `query_type` (on `query_bus`)."""

    def decorator(handler: Callable[[Q, Context], R]) -> Callable[[Q, Context], R]:
        (bus or query_bus).register(query_type, handler)
        return handler

    return decorator
