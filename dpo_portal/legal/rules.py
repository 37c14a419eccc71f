"""A regime version's deadline figures as a plain value the calculator reads.

Built from a RegimeVersion row, or (without a database: the calculator's pure tests, a code
that names a regime) from the shipped figures of that regime.
"""

import dataclasses
import datetime
from dataclasses import dataclass

from .shipped import VERSION_FIGURES, VERSIONS


@dataclass(frozen=True)
class DeadlineRules:
    answer_count: int
    answer_unit: str
    counting_starts: str
    third_party_extension_count: int
    third_party_extension_unit: str
    max_extension_count: int
    max_extension_unit: str
    extension_notice_count: int
    extension_notice_unit: str
    refusal_count: int
    refusal_unit: str
    calendar_country: str = "AZ"
    effective_from: datetime.date | None = None

    @classmethod
    def of(cls, version):
        return cls(**{name: getattr(version, name) for name in _FIELDS})

    def with_answer_period(self, count, unit):
        """The same rules with another answer period (a refusal's, an extension notice's)."""
        return dataclasses.replace(self, answer_count=count, answer_unit=unit)

    @classmethod
    def shipped(cls, regime_code):
        spec = VERSIONS[str(regime_code)]
        return cls(**{name: spec[name] for name in _FIELDS})


_FIELDS = [
    name
    for name in DeadlineRules.__dataclass_fields__
    if name in VERSION_FIGURES or name == "effective_from"
]
