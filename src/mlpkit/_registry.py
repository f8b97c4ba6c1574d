"""Name → class tables for the concepts a user picks by name (activations, losses,
initializers, regularizers, optimizers), and the ``repr`` they all share.

A registry maps a lower-case name (and its aliases) to a class; ``create`` accepts a
name, an instance of the registry's base class, or raises a ``ValueError`` listing the
names it knows. Nothing here imports the rest of the package.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

__all__ = ["Registry", "UnknownNameError", "config_repr", "known_as"]

T = TypeVar("T")


def config_repr(obj: Any) -> str:
    """``ClassName(key=value, ...)`` from ``obj.get_config()``."""
    settings = ", ".join(f"{k}={v!r}" for k, v in obj.get_config().items())
    return f"{type(obj).__name__}({settings})"


def known_as(module: str, *objects: Any) -> None:
    """Name classes and functions by the package that exports them (in messages, reprs and
    pickles), as NumPy's are by ``numpy``: where in the package one is written is not its
    address."""
    for obj in objects:
        obj.__module__ = module


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

    def register(self, new_class: type[T], name: str | None = None) -> type[T]:
        """Register a class under a name, so layers, files and the CLI find it by name.

        Works as a class decorator too (``@mlpkit.register_activation``).

        Parameters
        ----------
        new_class : type
            A subclass of the registry's base class (``Activation``, ``Loss`` or
            ``Initializer``).
        name : str, optional
            The name it is known, saved and loaded by (default: its ``name`` attribute,
            lower-cased).

        Returns
        -------
        type
            ``new_class`` itself.

        Raises
        ------
        TypeError
            ``new_class`` is not a subclass of the base class.
        ValueError
            It has no name, or the name is taken by another class.
        """
        if not (isinstance(new_class, type) and issubclass(new_class, self.base)):
            raise TypeError(
                f"register a subclass of {self.base.__module__}.{self.base.__name__}, got {new_class!r}"
            )
        key = (name or getattr(new_class, "name", "") or "").lower()
        if not key:
            raise ValueError(
                f"{new_class.__name__} needs a class attribute `name` to be registered"
            )
        taken = self.lookup(key)
        if taken is not None and taken.__qualname__ != new_class.__qualname__:
            raise ValueError(
                f"{self.kind} name {key!r} is taken by {taken.__module__}.{taken.__qualname__}; "
                "give the new class another `name`"
            )
        self._classes[key] = new_class
        return new_class

    def names(self) -> list[str]:
        """The registered names, aliases excluded, in registration order."""
        return list(self._classes)

    def lookup(self, name: str) -> type[T] | None:
        """The class registered as ``name`` (or an alias of it), else None."""
        key = name.lower()
        return self._classes.get(self._aliases.get(key, key))

    def create(self, value: str | T, /, **config: Any) -> T:
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
