"""Sections of a data subject's page, contributed by the apps that hold something about them.

    @subject_section(order=20)
    def consents(request, subject):
        return SubjectSection(title=..., template="consent/subject_consents.html", context={...})

Each app adds its own in `<app>/subject_page.py` (consents, disclosures, records by system,
requests), so the page answers "what do you hold about me, why, and who got it" in one place
while the register never imports the apps built on it. A section function returns None to stay
hidden, e.g. for a role that may not see it.
"""

from dataclasses import dataclass, field

from django.utils.module_loading import autodiscover_modules

_SECTIONS = []
_discovered = False


@dataclass
class SubjectSection:
    title: str
    template: str
    context: dict = field(default_factory=dict)


def subject_section(order=100):
    def register(func):
        _SECTIONS.append((order, func))
        _SECTIONS.sort(key=lambda item: item[0])
        return func

    return register


def sections_for(request, subject):
    global _discovered
    if not _discovered:
        autodiscover_modules("subject_page")
        _discovered = True
    return [s for _order, func in _SECTIONS if (s := func(request, subject)) is not None]
