"""Data maps in Fides' own dataset format: one of Fides' example datasets loads unchanged, and a
malformed map is refused with the line and field of each error."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from dpo_portal.connectors import mapping
from dpo_portal.connectors.datamap import DataMapInvalid, parse
from dpo_portal.connectors.models import Connector, DataMap
from tests.factories import make_category, make_organisation, make_system

FIDES_EXAMPLE = Path(__file__).parent / "data" / "fides_postgres_example_test_dataset.yml"


@pytest.mark.django_db
def test_fides_s_own_postgres_example_dataset_loads_as_a_data_map():
    organisation = make_organisation("fides-example")
    contact = make_category(organisation, "contact")
    make_category(organisation, "financial")
    connector = Connector.objects.create(
        organisation=organisation, system=make_system(organisation), kind="postgresql"
    )
    data_map = DataMap(
        organisation=organisation, connector=connector, dataset_yaml=FIDES_EXAMPLE.read_text()
    )
    data_map.full_clean()
    data_map.save()
    loaded = mapping.load(connector)
    # The customer is found by e-mail; orders and logins through their customer_id, and the
    # address through customer.address_id, as Fides walks them.
    assert loaded.links["customer"] is None
    assert loaded.links["orders"].parent == "customer"
    assert loaded.links["address"].parent == "customer"
    assert loaded.categories["customer"]["email"] == {contact.pk}
    assert loaded.strategies["employee"]["name"] == "mask"  # its string_rewrite override
    # Children before the rows they reference.
    order = loaded.dataset.deletion_order()
    assert order.index("orders") < order.index("customer") < order.index("address")


def test_malformed_yaml_is_refused_with_its_line():
    text = FIDES_EXAMPLE.read_text().replace(
        "data_categories: [user.name]", "data_categories: [user.name", 1
    )
    line = next(
        n for n, row in enumerate(text.splitlines(), 1) if "[user.name" in row and "]" not in row
    )
    with pytest.raises(DataMapInvalid) as refused:
        parse(text)
    (error,) = refused.value.errors
    assert error.line in (line, line + 1)
    assert str(error).startswith(f"Line {error.line}")


def test_each_wrong_field_is_named_with_its_line_and_path():
    text = """\
dataset:
  - fides_key: loans
    collections:
      - name: customers
        fields:
          - name: id
          - name: mail
            fides_meta:
              identity: e-mail
          - name: branch_id
            fides_meta:
              references:
                - field: branches.id
                  direction: sideways
"""
    with pytest.raises(DataMapInvalid) as refused:
        parse(text)
    errors = [(e.line, e.path) for e in refused.value.errors]
    assert errors == [
        (9, "collections[customers].fields[mail].fides_meta.identity"),
        (14, "collections[customers].fields[branch_id].fides_meta.references.direction"),
    ]


@pytest.mark.django_db
def test_the_admin_form_refuses_a_bad_map_with_the_line():
    organisation = make_organisation("bad-map")
    connector = Connector.objects.create(
        organisation=organisation, system=make_system(organisation), kind="sqlite"
    )
    data_map = DataMap(organisation=organisation, connector=connector, dataset_yaml="dataset: {")
    with pytest.raises(ValidationError) as refused:
        data_map.full_clean()
    assert refused.value.message_dict["dataset_yaml"][0].startswith("Line 1")
