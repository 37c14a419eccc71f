"""The import page every admin import uses: a form stating the limits, the file stored in a job.

The request only checks what can be checked without parsing (the size and the type of the file)
and queues the job; the worker reads and imports it (jobs.py, retention/jobs.py). The page then
is the job's: progress, the outcome in words, the rows to fix.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dpo_portal.register.models import Organisation

from . import import_templates, imports
from .models import start_job


class ImportForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("organisation"), queryset=Organisation.objects.none()
    )
    file = forms.FileField(label=gettext_lazy("file (CSV or XLSX)"))

    def __init__(self, *args, organisations, columns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if organisations.count() == 1:
            self.fields["organisation"].initial = organisations.first()
        columns_sentence = _("Columns: %(columns)s.") % {"columns": ", ".join(columns)}
        self.fields["file"].help_text = f"{imports.limits_sentence()} {columns_sentence}"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise ValidationError(_("Upload a .csv or .xlsx file."))
        try:
            imports.check_size(upload.size)
        except imports.ImportRefused as refusal:
            raise ValidationError(str(refusal)) from None
        return upload


def import_page(
    model_admin, request, *, kind, organisations, columns, title, parameters=None, template=None
):
    """The GET form and the POST that queues the job and goes to its page.

    The job's report (row, column, value) is offered to those who may import the model.
    ``template(organisation)`` describes the import's XLSX template (import_templates.py),
    downloaded from this page with ``?template=<organisation id>``.
    """
    opts = model_admin.opts
    if template is not None and request.method == "GET" and "template" in request.GET:
        organisation = get_object_or_404(organisations, pk=_int_or_none(request.GET["template"]))
        return import_templates.download(template(organisation))
    form = ImportForm(
        request.POST or None, request.FILES or None, organisations=organisations, columns=columns
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        # The file goes into the job row (bytes), never onto a disk, and only ids and the file's
        # extension go to the task.
        job = start_job(
            kind,
            organisation=form.cleaned_data["organisation"],
            actor=request.user,
            parameters={
                **(parameters or {}),
                "result_permission": f"{opts.app_label}.add_{opts.model_name}",
                "filename": "import." + upload.name.lower().rsplit(".", 1)[-1],
                "language": translation.get_language(),
            },
            payload=upload.read(),
        )
        from django.contrib import messages

        messages.info(request, _("The import runs in the background; follow it here."))
        return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "form": form,
        "title": title,
        # One template per organisation: its example row and codes are that organisation's.
        "templates": [
            (organisation, f"?template={organisation.pk}")
            for organisation in organisations.order_by("name")
        ]
        if template is not None
        else [],
    }
    return TemplateResponse(request, "admin/jobs/import.html", context)


def _int_or_none(value):
    return int(value) if str(value).isdigit() else None
