"""The value the array loaders return: unpacks like Keras, and says where it came from."""

from __future__ import annotations

from tlkit.provenance import Source


class Arrays(tuple):
    """A tuple of arrays (``(x_train, y_train), (x_test, y_test)``, like Keras' ``load_data``)
    that also carries ``.source`` (where the data came from), ``.classes`` (the class names in
    label order) and ``.mapping`` (label → class name).
    """

    source: Source
    classes: list[str]
    mapping: dict[int, str]

    def __new__(cls, items, *, source: Source, classes, mapping: dict[int, str] | None = None):
        obj = super().__new__(cls, tuple(items))
        obj.source = source
        obj.classes = list(classes)
        obj.mapping = dict(mapping) if mapping is not None else dict(enumerate(obj.classes))
        return obj

    def __reduce__(self):
        return (_rebuild, (tuple(self), self.source, self.classes, self.mapping))

    def __repr__(self) -> str:
        def describe(item):
            if isinstance(item, tuple):
                return "(" + ", ".join(describe(i) for i in item) + ")"
            return f"{getattr(item, 'dtype', type(item).__name__)}{tuple(getattr(item, 'shape', ()))}"

        return (f"Arrays({', '.join(describe(i) for i in self)}, {len(self.classes)} classes, "
                f"source={self.source})")


def _rebuild(items, source, classes, mapping):
    return Arrays(items, source=source, classes=classes, mapping=mapping)
