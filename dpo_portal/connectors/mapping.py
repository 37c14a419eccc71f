"""The data map of a connector with the portal's additions: organisation categories per field,
erase strategy per field, the collection date per collection."""

import functools
from dataclasses import dataclass

from dpo_portal.register.models import DataCategory

from .datamap import parse
from .models import CategoryMapping, EraseStrategy

# Sensible defaults for fideslang's categories, longest prefix first: the first of the codes the
# organisation has is used. A CategoryMapping row of the organisation overrides them.
DEFAULT_CATEGORY_CODES = [
    ("user.government_id", ["identity-fin", "identity-data", "identity"]),
    ("user.contact.email", ["contact", "personal"]),
    ("user.contact.phone_number", ["contact", "personal"]),
    ("user.contact", ["contact", "personal"]),
    ("user.name", ["identity", "personal"]),
    ("user.demographic", ["identity", "personal"]),
    ("user.unique_id", ["identity", "personal"]),
    ("user.financial", ["financial", "payments", "transactions"]),
    ("user.payment", ["payments", "transactions", "financial"]),
    ("user.device", ["device", "electronic"]),
    ("user.location", ["location", "electronic"]),
    ("user.behavior", ["account", "electronic"]),
    ("user.sensor", ["device", "electronic"]),
    ("user.content", ["voluntary", "other"]),
    ("user.account", ["account", "identity"]),
    ("user", ["other", "personal"]),
]


def category_resolver(organisation_id):
    """fideslang category → DataCategory id (or None) for one organisation."""
    codes = dict(
        DataCategory.objects.filter(organisation_id=organisation_id).values_list("code", "pk")
    )
    explicit = dict(
        CategoryMapping.objects.filter(organisation_id=organisation_id).values_list(
            "fides_category", "category_id"
        )
    )
    rules = sorted(explicit.items(), key=lambda item: -len(item[0]))
    defaults = [
        (prefix, next((codes[c] for c in candidates if c in codes), None))
        for prefix, candidates in DEFAULT_CATEGORY_CODES
    ]

    def resolve(fides_category):
        for table in (rules, defaults):
            for prefix, category_id in table:
                if fides_category == prefix or fides_category.startswith(prefix + "."):
                    if category_id is not None:
                        return category_id
        return None

    return resolve


@dataclass
class Map:
    """A connector's map ready to drive statements."""

    dataset: object
    links: dict
    strategies: dict  # {collection: {field: strategy}} of the fields erasure changes
    collected_at: dict  # {collection: column}
    categories: dict  # {collection: {field: {category ids}}}

    def collection_categories(self, name):
        return set().union(*self.categories.get(name, {}).values())


@functools.lru_cache(maxsize=32)
def _parsed(text):
    # Keyed by the YAML itself, so an edited map is parsed afresh; the Dataset is only read.
    return parse(text)


def linked_collections(connector):
    """The names of the collections the map ties to an identity (those a record's id can name),
    from the YAML alone: without the settings ``load`` reads (four queries), for a caller that
    needs no more than this."""
    return set(_parsed(connector.data_map.dataset_yaml).links())


def load(connector):
    data_map = connector.data_map
    dataset = _parsed(data_map.dataset_yaml)
    overrides = {(s.collection, s.field): s.strategy for s in data_map.field_settings.all()}
    resolve = category_resolver(connector.organisation_id)
    strategies, categories = {}, {}
    for collection in dataset.collections.values():
        keys = {collection.primary_key}
        keys |= {f.name for f in collection.fields.values() if f.references}
        chosen, mapped = {}, {}
        for item in collection.fields.values():
            if item.is_personal:
                ids = {resolve(c) for c in item.categories} - {None}
                if ids:
                    mapped[item.name] = ids
            strategy = overrides.get((collection.name, item.name))
            if strategy is None:
                # Keys tie rows together (and NOT NULL): they are not personal data to erase.
                strategy = item.strategy or (
                    EraseStrategy.NULL if item.is_personal and item.name not in keys else None
                )
            if strategy and strategy != EraseStrategy.KEEP:
                chosen[item.name] = strategy
        strategies[collection.name] = chosen
        categories[collection.name] = mapped
    collected_at = {s.collection: s.collected_at_field for s in data_map.collection_settings.all()}
    return Map(
        dataset=dataset,
        links=dataset.links(),
        strategies=strategies,
        collected_at=collected_at,
        categories=categories,
    )
