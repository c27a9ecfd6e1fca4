"""A small case-insensitive header mapping used for requests and responses."""

from __future__ import annotations

from typing import Dict, Iterable, Iterator, MutableMapping, Optional, Tuple


class Headers(MutableMapping):
    """Case-insensitive `str -> str` mapping that keeps the first spelling of each name.

    Repeated request headers are joined with ", " (RFC 9110 5.3).
    """

    __slots__ = ("_store",)

    def __init__(self, items: Optional[Iterable[Tuple[str, str]]] = None):
        self._store: Dict[str, Tuple[str, str]] = {}
        if items is not None:
            if hasattr(items, "items"):
                items = items.items()  # type: ignore[union-attr]
            store = self._store
            for name, value in items:
                key = name.lower()
                old = store.get(key)
                if old is None:
                    store[key] = (name, value)
                else:
                    store[key] = (old[0], old[1] + ", " + value)

    def __getitem__(self, name: str) -> str:
        return self._store[name.lower()][1]

    def __setitem__(self, name: str, value) -> None:
        self._store[name.lower()] = (name, str(value))

    def __delitem__(self, name: str) -> None:
        del self._store[name.lower()]

    def __contains__(self, name) -> bool:
        return isinstance(name, str) and name.lower() in self._store

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._store.values())

    def __len__(self) -> int:
        return len(self._store)

    def get(self, name: str, default=None):
        item = self._store.get(name.lower())
        return default if item is None else item[1]

    def lower_items(self) -> Iterator[Tuple[str, str]]:
        return ((key, item[1]) for key, item in self._store.items())

    def raw_items(self):
        return list(self._store.values())

    def __repr__(self) -> str:
        return f"Headers({dict(self._store.values())!r})"
