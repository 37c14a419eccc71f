"""Data maps in Ethyca Fides' dataset YAML (fideslang): read, validated, and walked.

A map written for Fides works here unchanged: ``dataset`` → ``collections`` → ``fields`` with
``data_categories`` and ``fides_meta`` (``identity``, ``primary_key``, ``references``,
``masking_strategy_override``); a collection's ``fides_meta.masking_strategy_override`` of
``delete`` removes its rows instead of masking fields. We validate the subset that drives SQL
ourselves (fideslang itself pins pydantic and its own dependency tree): every error carries the
line of the YAML it is about and the path of the field, so the DPO can find it.

The portal's additions (organisation categories, erase strategy overrides, the collection-date
column) live in side tables (models.py), so the YAML stays Fides' own.
"""

from collections import deque
from dataclasses import dataclass, field

import yaml
from django.utils.translation import gettext as _

# Fides' masking strategies, as the erase strategy the portal applies.
FIDES_STRATEGIES = {
    "null_rewrite": "null",
    "string_rewrite": "mask",
    "random_string_rewrite": "mask",
    "hash": "hash",
    "aes_encrypt": "hash",
}
# Identity types a map may name, and the person's field in the register that gives the value.
IDENTITY_FIELDS = {
    "email": "email",
    "phone_number": "phone",
    "fin": "fin",
    "external_ref": "external_ref",
    "customer_ref": "external_ref",
    "id_document_number": "id_document_number",
}
# Fields whose categories say "about a person" are erased unless a rule says otherwise.
PERSONAL_PREFIX = "user"


@dataclass
class MapError:
    line: int
    path: str
    message: str

    def __str__(self):
        return _("Line %(line)s, %(path)s: %(message)s") % {
            "line": self.line,
            "path": self.path or "—",
            "message": self.message,
        }


class DataMapInvalid(Exception):
    def __init__(self, errors):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


@dataclass
class Reference:
    collection: str
    field: str
    direction: str | None  # "from", "to" or None (both ways), as Fides reads it


@dataclass
class Field:
    name: str
    categories: list
    identity: str | None = None
    primary_key: bool = False
    references: list = field(default_factory=list)
    strategy: str | None = None  # from masking_strategy_override

    @property
    def is_personal(self):
        return any(
            c == PERSONAL_PREFIX or c.startswith(PERSONAL_PREFIX + ".") for c in self.categories
        )


@dataclass
class Collection:
    name: str
    fields: dict
    delete_rows: bool = False

    @property
    def primary_key(self):
        for item in self.fields.values():
            if item.primary_key:
                return item.name
        return "id" if "id" in self.fields else None

    @property
    def identity_fields(self):
        return [item for item in self.fields.values() if item.identity]


@dataclass
class Link:
    """How a collection's rows are tied to the person: rows of ``collection`` whose ``field``
    holds a value of ``parent_field`` in the person's rows of ``parent``."""

    collection: str
    field: str
    parent: str
    parent_field: str


@dataclass
class Dataset:
    key: str
    collections: dict

    def links(self):
        """{collection: Link or None} for every collection reachable from an identity: None for
        the collections that hold an identity themselves; breadth first, so the shortest path
        wins. Follows ``references`` in the direction Fides does."""
        edges = {name: [] for name in self.collections}
        for collection in self.collections.values():
            for item in collection.fields.values():
                for ref in item.references:
                    # Data flows "to" the referenced field: reached from here; "from": reaches here.
                    if ref.direction in (None, "to"):
                        edges[collection.name].append(
                            Link(ref.collection, ref.field, collection.name, item.name)
                        )
                    if ref.direction in (None, "from"):
                        edges[ref.collection].append(
                            Link(collection.name, item.name, ref.collection, ref.field)
                        )
        # A collection without a primary key cannot be acted on set by set: left alone.
        keyed = {name for name, c in self.collections.items() if c.primary_key}
        found = {
            name: None
            for name, c in self.collections.items()
            if c.identity_fields and name in keyed
        }
        queue = deque(found)
        while queue:
            current = queue.popleft()
            for link in edges[current]:
                if link.collection not in found and link.collection in keyed:
                    found[link.collection] = link
                    queue.append(link.collection)
        return found

    def path_to_identity(self, name, links=None):
        """The links from ``name`` up to a collection holding an identity."""
        links = links if links is not None else self.links()
        path = []
        while links.get(name) is not None:
            path.append(links[name])
            name = links[name].parent
        return path, name

    def deletion_order(self):
        """Collections ordered so that a row is changed before the row it references: the
        children (holders of a reference) first, then their parents."""
        parents = {name: set() for name in self.collections}
        for collection in self.collections.values():
            for item in collection.fields.values():
                for ref in item.references:
                    if ref.collection != collection.name:
                        parents[collection.name].add(ref.collection)
        children = {name: {c for c, ps in parents.items() if name in ps} for name in parents}
        order, done = [], set()

        def visit(name, trail=()):
            if name in done or name in trail:
                return
            for child in sorted(children[name]):
                visit(child, (*trail, name))
            done.add(name)
            order.append(name)

        for name in sorted(self.collections):
            visit(name)
        return order


# --- reading ---------------------------------------------------------------------------------


class _Reader:
    def __init__(self):
        self.errors = []

    def error(self, node, path, message):
        self.errors.append(
            MapError(node.start_mark.line + 1 if node is not None else 1, path, message)
        )

    def mapping(self, node, path):
        if not isinstance(node, yaml.MappingNode):
            self.error(node, path, _("A mapping (key: value) is expected here."))
            return {}
        return {key.value: (key, value) for key, value in node.value}

    def sequence(self, node, path):
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, path, _("A list is expected here."))
            return []
        return node.value

    def scalar(self, node, path):
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            self.error(node, path, _("A text value is expected here."))
            return None
        return str(node.value).strip()

    def boolean(self, node, path):
        value = self.scalar(node, path)
        if value is None:
            return False
        if value.lower() in ("true", "yes", "on"):
            return True
        if value.lower() in ("false", "no", "off"):
            return False
        self.error(node, path, _("true or false is expected here."))
        return False


def parse(text):
    """The Dataset of a Fides dataset YAML, or DataMapInvalid with every error found."""
    reader = _Reader()
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or _("not valid YAML")
        raise DataMapInvalid(
            [MapError(line, "", _("Not valid YAML: %(problem)s.") % {"problem": problem})]
        ) from None
    if root is None:
        raise DataMapInvalid([MapError(1, "", _("The data map is empty."))])
    top = reader.mapping(root, "")
    if "dataset" not in top:
        reader.error(root, "", _("A Fides dataset file starts with “dataset:”."))
        raise DataMapInvalid(reader.errors)
    datasets = reader.sequence(top["dataset"][1], "dataset")
    if len(datasets) != 1:
        reader.error(top["dataset"][1], "dataset", _("A data map describes exactly one dataset."))
        raise DataMapInvalid(reader.errors)
    dataset_node = reader.mapping(datasets[0], "dataset[0]")
    key = (
        reader.scalar(dataset_node["fides_key"][1], "fides_key")
        if "fides_key" in dataset_node
        else None
    )
    if "fides_key" not in dataset_node:
        reader.error(datasets[0], "dataset[0]", _("fides_key is required."))
    collections = {}
    pending_refs = []
    if "collections" not in dataset_node:
        reader.error(datasets[0], "dataset[0]", _("collections is required."))
    else:
        for index, node in enumerate(
            reader.sequence(dataset_node["collections"][1], "collections")
        ):
            _collection(reader, node, index, collections, pending_refs)
    for node, path, ref, dataset_key in pending_refs:
        if dataset_key and key and dataset_key != key:
            reader.error(node, path, _("References to another dataset are not supported."))
        elif (
            ref.collection not in collections or ref.field not in collections[ref.collection].fields
        ):
            reader.error(node, path, _("No such collection.field in this dataset."))
    if reader.errors:
        raise DataMapInvalid(sorted(reader.errors, key=lambda e: e.line))
    dataset = Dataset(key=key, collections=collections)
    if not any(c.identity_fields for c in collections.values()):
        raise DataMapInvalid(
            [
                MapError(
                    1,
                    "collections",
                    _(
                        "No field is marked as an identity (fides_meta.identity): "
                        "the map cannot find a person."
                    ),
                )
            ]
        )
    return dataset


def _collection(reader, node, index, collections, pending_refs):
    path = f"collections[{index}]"
    items = reader.mapping(node, path)
    name = reader.scalar(items["name"][1], f"{path}.name") if "name" in items else None
    if name is None:
        if "name" not in items:
            reader.error(node, path, _("name is required."))
        return
    path = f"collections[{name}]"
    if name in collections:
        reader.error(node, path, _("This collection is named twice."))
        return
    collection = Collection(name=name, fields={})
    if "fides_meta" in items:
        meta = reader.mapping(items["fides_meta"][1], f"{path}.fides_meta")
        if "masking_strategy_override" in meta:
            override = reader.mapping(
                meta["masking_strategy_override"][1], f"{path}.fides_meta.masking_strategy_override"
            )
            if "strategy" in override:
                strategy = reader.scalar(
                    override["strategy"][1], f"{path}.fides_meta.masking_strategy_override.strategy"
                )
                if strategy == "delete":
                    collection.delete_rows = True
                elif strategy is not None:
                    reader.error(
                        override["strategy"][1],
                        f"{path}.fides_meta.masking_strategy_override.strategy",
                        _("Only “delete” is a collection's strategy."),
                    )
    if "fields" not in items:
        reader.error(node, path, _("fields is required."))
    else:
        for field_node in reader.sequence(items["fields"][1], f"{path}.fields"):
            _field(reader, field_node, path, collection, pending_refs)
    collections[name] = collection


def _field(reader, node, collection_path, collection, pending_refs):
    items = reader.mapping(node, f"{collection_path}.fields")
    if "name" not in items:
        reader.error(node, f"{collection_path}.fields", _("name is required."))
        return
    name = reader.scalar(items["name"][1], f"{collection_path}.fields.name")
    if name is None:
        return
    path = f"{collection_path}.fields[{name}]"
    if name in collection.fields:
        reader.error(node, path, _("This field is named twice."))
        return
    if "\x00" in name:
        reader.error(node, path, _("A name cannot hold a NUL character."))
        return
    if "fields" in items:
        reader.error(
            items["fields"][0],
            f"{path}.fields",
            _("Nested fields belong to document stores; a SQL table has flat columns."),
        )
    categories = []
    if "data_categories" in items:
        for category in reader.sequence(items["data_categories"][1], f"{path}.data_categories"):
            value = reader.scalar(category, f"{path}.data_categories")
            if value is not None:
                categories.append(value)
    item = Field(name=name, categories=categories)
    if "fides_meta" in items:
        meta = reader.mapping(items["fides_meta"][1], f"{path}.fides_meta")
        if "identity" in meta:
            identity = reader.scalar(meta["identity"][1], f"{path}.fides_meta.identity")
            if identity is not None and identity not in IDENTITY_FIELDS:
                reader.error(
                    meta["identity"][1],
                    f"{path}.fides_meta.identity",
                    _("Unknown identity “%(identity)s”: use one of %(known)s.")
                    % {"identity": identity, "known": ", ".join(sorted(IDENTITY_FIELDS))},
                )
            item.identity = identity
        if "primary_key" in meta:
            item.primary_key = reader.boolean(
                meta["primary_key"][1], f"{path}.fides_meta.primary_key"
            )
        if "masking_strategy_override" in meta:
            override = reader.mapping(
                meta["masking_strategy_override"][1], f"{path}.fides_meta.masking_strategy_override"
            )
            if "strategy" in override:
                strategy = reader.scalar(
                    override["strategy"][1], f"{path}.fides_meta.masking_strategy_override.strategy"
                )
                if strategy is not None and strategy not in FIDES_STRATEGIES:
                    reader.error(
                        override["strategy"][1],
                        f"{path}.fides_meta.masking_strategy_override.strategy",
                        _("Unknown masking strategy: use one of %(known)s.")
                        % {"known": ", ".join(sorted(FIDES_STRATEGIES))},
                    )
                item.strategy = FIDES_STRATEGIES.get(strategy)
        if "references" in meta:
            for ref_node in reader.sequence(meta["references"][1], f"{path}.fides_meta.references"):
                ref_path = f"{path}.fides_meta.references"
                ref_items = reader.mapping(ref_node, ref_path)
                target = (
                    reader.scalar(ref_items["field"][1], f"{ref_path}.field")
                    if "field" in ref_items
                    else None
                )
                if target is None or "." not in target:
                    reader.error(
                        ref_node,
                        f"{ref_path}.field",
                        _("Name the referenced field as collection.field."),
                    )
                    continue
                direction = None
                if "direction" in ref_items:
                    direction = reader.scalar(ref_items["direction"][1], f"{ref_path}.direction")
                    if direction not in ("from", "to"):
                        reader.error(
                            ref_items["direction"][1],
                            f"{ref_path}.direction",
                            _("direction is “from” or “to”."),
                        )
                        continue
                dataset_key = (
                    reader.scalar(ref_items["dataset"][1], f"{ref_path}.dataset")
                    if "dataset" in ref_items
                    else None
                )
                target_collection, target_field = target.split(".", 1)
                ref = Reference(target_collection, target_field, direction)
                item.references.append(ref)
                pending_refs.append((ref_node, f"{ref_path}.field", ref, dataset_key))
    collection.fields[name] = item
