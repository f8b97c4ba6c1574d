"""Name → class tables for the concepts a user picks by name (activations, losses,
initializers, regularizers, optimizers), and the ``repr`` they all share.

A registry maps a lower-case name (and its aliases) to a class; ``create`` accepts a
name, an instance of the registry's base class, or raises a ``ValueError`` listing the
names it knows. Nothing here imports the rest of the package.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

__all__ = ["Registry", "UnknownNameError", "config_repr"]

T = TypeVar("T")


def config_repr(obj: Any) -> str:
    """``ClassName(key=value, ...)`` from ``obj.get_config()``."""
    settings = ", ".join(f"{k}={v!r}" for k, v in obj.get_config().items())
    return f"{type(obj).__name__}({settings})"


class UnknownNameError(ValueError):
    """A name no class is registered under (``kind`` and ``name`` say which)."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        self.kind, self.name = kind, name
        super().__init__(f"unknown {kind} {name!r}; choose one of {', '.join(known)}")


class Registry(Generic[T]):
    """The classes of one kind, by name."""

    def __init__(
        self,
        kind: str,
        base: type[T],
        classes: Iterable[type[T]] = (),
        aliases: dict[str, str] | None = None,
        function_hint: str | None = None,
    ) -> None:
        self.kind, self.base = kind, base
        #: why a plain function is refused and what to write instead (None: no such advice)
        self.function_hint = function_hint
        self._classes: dict[str, type[T]] = {}
        self._aliases = dict(aliases or {})
        for cls in classes:
            self.register(cls)

    def register(self, cls: type[T], name: str | None = None) -> type[T]:
        """Add ``cls`` under ``name`` (default: its ``name`` attribute); returns ``cls``,
        so it also works as a class decorator."""
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise TypeError(
                f"register a subclass of {self.base.__module__}.{self.base.__name__}, got {cls!r}"
            )
        key = (name or getattr(cls, "name", "") or "").lower()
        if not key:
            raise ValueError(f"{cls.__name__} needs a class attribute `name` to be registered")
        taken = self.lookup(key)
        if taken is not None and taken.__qualname__ != cls.__qualname__:
            raise ValueError(
                f"{self.kind} name {key!r} is taken by {taken.__module__}.{taken.__qualname__}; "
                "give the new class another `name`"
            )
        self._classes[key] = cls
        return cls

    def names(self) -> list[str]:
        """The registered names, aliases excluded, in registration order."""
        return list(self._classes)

    def lookup(self, name: str) -> type[T] | None:
        """The class registered as ``name`` (or an alias of it), else None."""
        key = name.lower()
        return self._classes.get(self._aliases.get(key, key))

    def create(self, value: str | T, **config: Any) -> T:
        """An instance from a name (built with ``config``) or ``value`` itself if it is one."""
        if isinstance(value, self.base):
            return value
        if isinstance(value, str):
            cls = self.lookup(value)
            if cls is not None:
                return cls(**config)
            raise UnknownNameError(self.kind, value, self.names())
        if self.function_hint and callable(value) and not isinstance(value, type):
            name = getattr(value, "__name__", repr(value))
            raise TypeError(f"{self.kind} {name!r} is a plain function: {self.function_hint}")
        raise ValueError(f"unknown {self.kind} {value!r}; choose one of {', '.join(self.names())}")
