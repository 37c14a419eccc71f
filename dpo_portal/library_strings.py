"""Strings the portal shows from Django admin, django-import-export, django-simple-history and
django-axes whose own catalogues have no Azerbaijani (or a wrong one), marked here so that
`make messages` keeps them in OUR catalogue (locale/az), which takes precedence over the
libraries'. Only strings a user can see are listed; a library's error messages for developers
(misconfigured resources…) are not.

How the list was found: the libraries' msgids (`django-admin makemessages` run over a copy of
each package) minus those their shipped az .mo files translate; tests/test_admin_in_azerbaijani.py
reads this module to fail on any of them left untranslated.

Django admin's "%(count)s %(name)s" messages are re-worded in Azerbaijani, because a noun after a
numeral stays singular there ("14 müraciət", never "14 müraciətlər") while %(name)s is the
plural verbose name.
"""

from django.utils.translation import gettext_noop, ngettext_lazy, pgettext_lazy  # noqa: F401

IMPORT_EXPORT = [
    gettext_noop("Import"),
    gettext_noop("%s through import_export"),
    gettext_noop("Import finished: {} new, {} updated, {} deleted and {} skipped {}."),
    gettext_noop(
        "%(exc_name)s encountered while trying to read file. Ensure you have chosen the correct "
        "format for the file."
    ),
    gettext_noop(
        "No valid data to import. Ensure your file has the correct headers or data for import."
    ),
    gettext_noop("Export"),
    gettext_noop("Export selected %(verbose_name_plural)s"),
    gettext_noop("export failed due to IllegalCharacterError"),
    gettext_noop("Resource"),
    gettext_noop("Format"),
    gettext_noop("File to import"),
    gettext_noop('Select at least 1 field for "%(resource_name)s" to export'),
    ngettext_lazy("Export %(len)s selected item.", "Export %(len)s selected items.", "len"),
    gettext_noop("This exporter will export the following fields: "),
    gettext_noop("Select all"),
    gettext_noop("Submit"),
    gettext_noop(
        "Below is a preview of data to be imported. If you are satisfied with the results, click "
        "'Confirm import'"
    ),
    gettext_noop("Confirm import"),
    gettext_noop("Errors"),
    gettext_noop("Line number"),
    gettext_noop("Some rows failed to validate"),
    gettext_noop(
        "Please correct these errors in your data where possible, then reupload it using the "
        "form above."
    ),
    gettext_noop("Row"),
    gettext_noop("Non field specific"),
    gettext_noop("Preview"),
    gettext_noop("New"),
    gettext_noop("Skipped"),
    gettext_noop("Update"),
    gettext_noop("This importer will import the following fields: "),
    gettext_noop("Value could not be parsed."),
]

SIMPLE_HISTORY = [
    gettext_noop("View history: %s"),
    gettext_noop('The %(name)s "%(obj)s" was changed successfully.'),
    gettext_noop("You may edit it again below"),
    gettext_noop("Revert %s"),
    gettext_noop("Created"),
    gettext_noop("Changed"),
    gettext_noop("Deleted"),
    gettext_noop("Deleted %(type_name)s"),
    gettext_noop("This object doesn't have a change history."),
    gettext_noop("View %(verbose_name)s"),
    gettext_noop("Object"),
    gettext_noop("Comment"),
    gettext_noop("Changed by"),
    gettext_noop("Change reason"),
    gettext_noop("Changes"),
    gettext_noop("Change History"),
]

AXES = [
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Account locked: too many login attempts. Please try again later."),
    gettext_noop(
        "Account locked: too many login attempts. Contact an admin to unlock your account."
    ),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("Logout Time"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
]

# Django admin's counted messages, re-worded (see above).
ADMIN_COUNTS = [
    gettext_noop("Select all %(total_count)s %(module_name)s"),
    ngettext_lazy(
        "%(count)s %(name)s was changed successfully.",
        "%(count)s %(name)s were changed successfully.",
        "count",
    ),
    ngettext_lazy("%(counter)s result", "%(counter)s results", "counter"),
]
