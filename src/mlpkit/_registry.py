"""Name → class tables for the concepts a user picks by name (activations, losses,
initializers, regularizers, optimizers), and the ``repr`` they all share.

A registry maps a lower-case name (and its aliases) to a class; ``create`` accepts a
name, an instance of the registry's base class, or raises a ``ValueError`` listing the
names it knows. Nothing here imports the rest of the package.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

__all__ = ["Registry", "config_repr"]

T = TypeVar("T")


def config_repr(obj: Any) -> str:
    """``ClassName(key=value, ...)`` from ``obj.get_config()``."""
    settings = ", ".join(f"{k}={v!r}" for k, v in obj.get_config().items())
    return f"{type(obj).__name__}({settings})"


class Registry(Generic[T]):
    """The classes of one kind, by name."""

    def __init__(
        self,
        kind: str,
        base: type[T],
        classes: Iterable[type[T]] = (),
        aliases: dict[str, str] | None = None,
    ) -> None:
        self.kind, self.base = kind, base
        self._classes: dict[str, type[T]] = {}
        self._aliases = dict(aliases or {})
        for cls in classes:
            self.register(cls)

    def register(self, cls: type[T], name: str | None = None) -> type[T]:
        """Add ``cls`` under ``name`` (default: its ``name`` attribute); returns ``cls``."""
        key = (name or getattr(cls, "name", "") or "").lower()
        if not key:
            raise ValueError(f"{cls.__name__} needs a non-empty `name` to be registered")
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
        raise ValueError(f"unknown {self.kind} {value!r}; choose one of {', '.join(self.names())}")

    def decorator(self) -> Callable[[type[T]], type[T]]:
        return self.register
