"""Import and export of the register, one resource per model (see importing.py for the rules)."""

from import_export import fields

from .importing import OrganisationResource, entries_field, entry_field
from .models import DataCategory, DataSubject, Recipient, Source, SubjectType, System


class DataCategoryResource(OrganisationResource):
    parent = entry_field(DataCategory, "parent")

    class Meta(OrganisationResource.Meta):
        model = DataCategory
        fields = (
            "organisation",
            "code",
            "name",
            "parent",
            "sensitivity",
            "description",
            "examples",
        )


class SubjectTypeResource(OrganisationResource):
    class Meta(OrganisationResource.Meta):
        model = SubjectType
        fields = ("organisation", "code", "name", "description")


class SourceResource(OrganisationResource):
    class Meta(OrganisationResource.Meta):
        model = Source
        fields = ("organisation", "code", "name", "kind", "description")


class SystemResource(OrganisationResource):
    categories = entries_field(DataCategory, "categories")
    hosting_country = fields.Field(attribute="hosting_country", column_name="hosting_country")

    class Meta(OrganisationResource.Meta):
        model = System
        fields = (
            "organisation",
            "code",
            "name",
            "description",
            "owner",
            "hosting_country",
            "categories",
            "subject_count",
            "created_on",
            "registration_number",
            "registration_date",
        )


class RecipientResource(OrganisationResource):
    categories = entries_field(DataCategory, "categories")
    country = fields.Field(attribute="country", column_name="country")

    class Meta(OrganisationResource.Meta):
        model = Recipient
        fields = (
            "organisation",
            "code",
            "name",
            "description",
            "category",
            "role",
            "country",
            "contact",
            "contract_reference",
            "contract_signed_on",
            "contract_expires_on",
            "review_interval_months",
            "last_reviewed_on",
            "next_review_due",
            "categories",
        )


class DataSubjectResource(OrganisationResource):
    subject_type = entry_field(SubjectType, "subject_type")
    personal_columns = DataSubject.PERSONAL_FIELDS  # masked in the row-error report

    class Meta(OrganisationResource.Meta):
        model = DataSubject
        import_id_fields = ("organisation", "external_ref")
        # Every personal field travels; one list (the model's) says which they are.
        fields = ("organisation", *DataSubject.PERSONAL_FIELDS, "subject_type")

    def get_queryset(self):
        # An erased person is never matched, updated or exported by reference.
        return super().get_queryset().filter(erased_at__isnull=True)

    def bulk_rows(self, *, organisation_id, user):
        """The background import's bulk path: the same checks and report, in bulk."""
        from .subject_import import SubjectRows

        return SubjectRows(self, organisation_id=organisation_id, user=user)
