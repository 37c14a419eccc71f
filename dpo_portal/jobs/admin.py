from django.contrib import admin
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from dpo_portal.register.scoping import OrganisationScopedAdmin

from .imports import read_report
from .models import Job

REPORT_ROWS_SHOWN = 100


@admin.register(Job)
class JobAdmin(OrganisationScopedAdmin):
    list_display = ["__str__", "status", "progress", "started_by", "created_at", "finished_at"]
    list_filter = ["organisation", "status", "kind"]
    list_select_related = ("organisation", "started_by")
    readonly_fields = [
        "kind",
        "organisation",
        "status",
        "progress",
        "message",
        "result_link",
        "next_links",
        "started_by",
        "created_at",
        "started_at",
        "finished_at",
    ]
    fields = readonly_fields
    change_form_template = "admin/jobs/job/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("progress"))
    def progress(self, obj):
        return format_html(
            '<span class="progress" role="progressbar" aria-valuenow="{0}" aria-valuemin="0" '
            'aria-valuemax="100"><span style="width:{0}%"></span></span> {0}% ({1}/{2})',
            obj.live_percent,
            obj.live_done,
            obj.total,
        )

    @admin.display(description=_("result"))
    def result_link(self, obj):
        if not obj.result_name:
            return "—"
        url = reverse("admin:jobs_job_result", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.result_name)

    @admin.display(description=_("next"))
    def next_links(self, obj):
        from .registry import links_for

        if obj.status != Job.Status.DONE:
            return "—"
        links = links_for(obj)
        if not links:
            return "—"
        return format_html_join(
            format_html("<br>"), '<a href="{}">{}</a>', ((url, label) for label, url in links)
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # An import's first rows to fix, on the page itself, for those who may download them.
        job = self.get_object(request, object_id)
        rows = []
        if job is not None and job.result_name.endswith(".csv") and job.result is not None:
            if self.may_download(request, job):
                rows = read_report(job.result, limit=REPORT_ROWS_SHOWN)
        extra_context = {**(extra_context or {}), "rows_to_fix": rows}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/result/",
                self.admin_site.admin_view(self.result_view),
                name="jobs_job_result",
            ),
            *super().get_urls(),
        ]

    def may_download(self, request, job):
        from dpo_portal.register.roles import organisation_ids_for

        from .registry import result_permission_for

        # An import names the permission of its own model (its report shows rows of that model).
        perm = job.parameters.get("result_permission") or result_permission_for(job.kind)
        return (
            perm is None
            or request.user.is_superuser
            or job.organisation_id in (organisation_ids_for(request.user, perm))
        )

    def result_view(self, request, object_id):
        job = self.get_queryset(request).filter(pk=object_id, result__isnull=False).first()
        if job is None or not self.has_view_permission(request, job):
            raise Http404
        if not self.may_download(request, job):
            raise Http404
        response = HttpResponse(bytes(job.result), content_type=job.result_content_type)
        response["Content-Disposition"] = f'attachment; filename="{job.result_name}"'
        return response
