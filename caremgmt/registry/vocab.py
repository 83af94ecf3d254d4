"""Closed lists of values a form offers; labels live in the catalogue as
``<list>.<value>`` (e.g. ``doc_type.CC``)."""

DOC_TYPES = ("CC", "TI", "RC", "CE", "PPT", "PEP", "PA")
SEXES = ("F", "M", "I")
GENDER_IDENTITIES = ("female", "male", "trans", "non_binary", "other", "not_said")
ETHNICITIES = ("none", "indigenous", "afro", "raizal", "palenquero", "rrom")
DISABILITIES = ("none", "physical", "visual", "hearing", "intellectual", "psychosocial", "multiple")
MIGRANT_STATUSES = ("colombian", "migrant_regular", "migrant_irregular", "returned")
EDUCATION_LEVELS = (
    "none",
    "primary_incomplete",
    "primary",
    "secondary_incomplete",
    "secondary",
    "technical",
    "university",
    "postgraduate",
)
REGISTRATION_CHANNELS = ("front_desk", "bus", "outreach", "self_preregistration")
RELATIONSHIPS = (
    "child",
    "parent",
    "grandchild",
    "grandparent",
    "spouse",
    "sibling",
    "other_relative",
    "non_relative",
)
CARE_NEEDS = ("child_under_6", "older_person", "disability", "chronic_illness")
CONSENT_PURPOSES = ("registration", "reminders", "research")

# Version of the consent texts currently shown at the desk (catalogue key
# consent.<purpose>.text); bump when the legal text changes.
CONSENT_TEXT_VERSION = "2026-01"
