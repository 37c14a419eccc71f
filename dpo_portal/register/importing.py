"""Import-export resources of organisation-owned models.

A row names its organisation by short code (column "organisation") and its links by their codes
within that organisation. A row for an organisation where the importing user may not add, or a
link to another organisation's entry, is a row error with a readable reason: the preview lists
each bad row with its number, and the file is refused whole (one transaction, rolled back).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from .models import Organisation
from .roles import organisation_ids_for

PROGRESS_EVERY = 200  # rows between two progress updates of a background import


class OrganisationWidget(widgets.ForeignKeyWidget):
    def __init__(self):
        super().__init__(Organisation, field="slug")
        self.allowed_ids = None  # None: every organisation (superuser, command line)

    def clean(self, value, row=None, **kwargs):
        code = (value or "").strip()
        if not code:
            raise ValueError(_("The organisation is missing."))
        organisations = Organisation.objects.all()
        if self.allowed_ids is not None:
            organisations = organisations.filter(pk__in=self.allowed_ids)
        try:
            return organisations.get(slug=code)
        except Organisation.DoesNotExist:
            raise ValueError(
                _("No organisation with the code “%(code)s” that you may import into.")
                % {"code": code}
            ) from None


class OrganisationEntryWidget(widgets.ForeignKeyWidget):
    """A link by code to an entry of the row's own organisation."""

    def __init__(self, model, field="code", **kwargs):
        super().__init__(model, field=field, **kwargs)

    def get_queryset(self, value, row, *args, **kwargs):
        return self.model._default_manager.filter(organisation__slug=row.get("organisation"))

    def clean(self, value, row=None, **kwargs):
        value = (value or "").strip() if isinstance(value, str) else value
        if not value:
            return None
        try:
            return self.get_queryset(value, row, **kwargs).get(**{self.field: value})
        except self.model.DoesNotExist:
            raise ValueError(
                _("Unknown %(what)s “%(code)s” in this organisation.")
                % {"what": self.model._meta.verbose_name, "code": value}
            ) from None


class OrganisationEntriesWidget(widgets.ManyToManyWidget):
    """Several links by code, separated by commas, all inside the row's organisation."""

    def __init__(self, model, field="code", **kwargs):
        super().__init__(model, separator=",", field=field, **kwargs)

    def clean(self, value, row=None, **kwargs):
        codes = [code.strip() for code in str(value or "").split(self.separator) if code.strip()]
        if not codes:
            return self.model.objects.none()
        found = self.model._default_manager.filter(
            organisation__slug=(row or {}).get("organisation"), **{f"{self.field}__in": codes}
        )
        missing = sorted(set(codes) - {getattr(item, self.field) for item in found})
        if missing:
            raise ValueError(
                _("Unknown %(what)s in this organisation: %(codes)s")
                % {"what": self.model._meta.verbose_name_plural, "codes": ", ".join(missing)}
            )
        return found


def entry_field(model, attribute, column_name=None):
    return fields.Field(
        attribute=attribute,
        column_name=column_name or attribute,
        widget=OrganisationEntryWidget(model),
    )


def entries_field(model, attribute, column_name=None):
    return fields.Field(
        attribute=attribute,
        column_name=column_name or attribute,
        widget=OrganisationEntriesWidget(model),
    )


class OrganisationResource(resources.ModelResource):
    """Base resource: organisation by code, model validation on every row, all or nothing."""

    organisation = fields.Field(
        attribute="organisation", column_name="organisation", widget=OrganisationWidget()
    )

    class Meta:
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        import_id_fields = ("organisation", "code")
        exclude = ("id", "created_at", "updated_at")

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        user = kwargs.get("user")
        widget = self.fields["organisation"].widget
        if user is not None and not user.is_superuser:
            add_perm = f"{self._meta.model._meta.app_label}.add_{self._meta.model._meta.model_name}"
            widget.allowed_ids = organisation_ids_for(user, add_perm)
        else:
            widget.allowed_ids = None
        if kwargs.get("organisation_id"):
            # A background import goes into the one organisation chosen on its form.
            only = {kwargs["organisation_id"]}
            widget.allowed_ids = (
                only if widget.allowed_ids is None else only & set(widget.allowed_ids)
            )
        self._rows_since_progress = 0

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        # In a background job there is no request for simple-history to take the user from.
        if kwargs.get("user") is not None:
            instance._history_user = kwargs["user"]

    def after_import_row(self, row, row_result, **kwargs):
        super().after_import_row(row, row_result, **kwargs)
        progress = kwargs.get("progress")
        if progress is not None:
            self._rows_since_progress += 1
            if self._rows_since_progress == PROGRESS_EVERY:
                progress(PROGRESS_EVERY)
                self._rows_since_progress = 0

    def before_import_row(self, row, **kwargs):
        # Spreadsheets carry stray spaces around codes ("allall ", " customer"): every lookup
        # by code and every stored value sees the cell without them.
        for column, value in row.items():
            if isinstance(value, str):
                row[column] = value.strip()
        super().before_import_row(row, **kwargs)

    def get_instance(self, instance_loader, row):
        # A row that leaves an identifying column empty names nobody: it is a new entry, never
        # an update of whichever existing row also has that column empty.
        if any(not row.get(field) for field in self._meta.import_id_fields if field in row):
            return None
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            # An unknown organisation or link: treat the row as new, so that import_instance
            # reports the reason as a validation error of that row.
            return None

    def import_instance(self, instance, row, **kwargs):
        # The library leaves many-to-many columns to after the save; check them now as well,
        # so every bad value of a row is reported together and before anything is written.
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget) and field.column_name in row:
                try:
                    field.clean(row, **kwargs)
                except ValueError as exc:
                    errors[field.attribute] = [str(exc)]
        if errors:
            raise ValidationError(errors)
