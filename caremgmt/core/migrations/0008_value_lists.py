"""CHECKs for the value lists that had none: the database now refuses a value
no form offers, as it already did for document types, roles, consent purposes
and every status.

Each list is the one the code validated against before any row was written
(caremgmt.registry.vocab, scheduling.catalogue.CATEGORIES, casework.cases.DOMAINS,
casework.institutions.SECTORS, casework.outcomes.PROGRAMMES), unchanged since
the first migration, and the seed data and the demo generators use the same
values; so no stored row breaks them. table_edit adds them in place and checks
exactly that (PRAGMA quick_check of each table): a row that breaks one stops
the migration, naming its table, and nothing is changed.

tests/core/test_value_lists.py ties each CHECK to its list in the code. A list
that grows needs a migration that widens its CHECK the same way.

Every SQL text below is literal and final, like an SQL migration's.
"""

from __future__ import annotations

from sqlite_utils import Database

from caremgmt.core.migrations.table_edit import edit_table

EDITS = {
    "persons": (
        ("    sex TEXT,\n", "    sex TEXT CHECK (sex IN ('F', 'M', 'I')),\n"),
        (
            "    gender_identity TEXT,\n",
            "    gender_identity TEXT CHECK (gender_identity IN"
            " ('female', 'male', 'trans', 'non_binary', 'other', 'not_said')),\n",
        ),
        (
            "    ethnicity TEXT,\n",
            "    ethnicity TEXT CHECK (ethnicity IN ('none', 'indigenous', 'afro', 'raizal', 'palenquero', 'rrom')),\n",
        ),
        (
            "    disability TEXT,\n",
            "    disability TEXT CHECK (disability IN"
            " ('none', 'physical', 'visual', 'hearing', 'intellectual', 'psychosocial', 'multiple')),\n",
        ),
        (
            "    migrant_status TEXT,\n",
            "    migrant_status TEXT CHECK (migrant_status IN"
            " ('colombian', 'migrant_regular', 'migrant_irregular', 'returned')),\n",
        ),
        (
            "    education_level TEXT,\n",
            "    education_level TEXT CHECK (education_level IN ('none', 'primary_incomplete', 'primary',"
            " 'secondary_incomplete', 'secondary', 'technical', 'university', 'postgraduate')),\n",
        ),
        (
            "    registration_channel TEXT,\n",
            "    registration_channel TEXT CHECK (registration_channel IN"
            " ('front_desk', 'bus', 'outreach', 'self_preregistration')),\n",
        ),
    ),
    "care_links": (
        (
            "    relationship TEXT NOT NULL,\n",
            "    relationship TEXT NOT NULL CHECK (relationship IN ('child', 'parent', 'grandchild', 'grandparent',"
            " 'spouse', 'sibling', 'other_relative', 'non_relative')),\n",
        ),
        (
            "    care_need TEXT NOT NULL,\n",
            "    care_need TEXT NOT NULL CHECK (care_need IN"
            " ('child_under_6', 'older_person', 'disability', 'chronic_illness')),\n",
        ),
    ),
    "services": (
        (
            "    category TEXT NOT NULL,\n",
            "    category TEXT NOT NULL CHECK (category IN ('respite_wellbeing', 'education_training',"
            " 'income_generation', 'legal_psychosocial', 'laundry', 'children_care', 'older_persons',"
            " 'disability_activities', 'cultural_change')),\n",
        ),
        (
            "    care_need TEXT,\n",
            "    care_need TEXT CHECK (care_need IN"
            " ('child_under_6', 'older_person', 'disability', 'chronic_illness')),\n",
        ),
    ),
    "institutions": (
        (
            "    sector TEXT NOT NULL,\n",
            "    sector TEXT NOT NULL CHECK (sector IN ('violence_protection', 'legal', 'training_employment',"
            " 'education', 'health', 'social_protection', 'other')),\n",
        ),
    ),
    "assessment_scores": (
        (
            "    domain TEXT NOT NULL,\n",
            "    domain TEXT NOT NULL CHECK (domain IN ('education', 'income_work', 'health', 'safety_violence',"
            " 'legal', 'emotional_wellbeing', 'care_load')),\n",
        ),
    ),
    "case_goals": (
        (
            "    domain TEXT NOT NULL,\n",
            "    domain TEXT NOT NULL CHECK (domain IN ('education', 'income_work', 'health', 'safety_violence',"
            " 'legal', 'emotional_wellbeing', 'care_load')),\n",
        ),
    ),
    "enrolments": (
        (
            "    programme TEXT NOT NULL,\n",
            "    programme TEXT NOT NULL CHECK (programme IN"
            " ('primary_completion', 'secondary_completion', 'technical_training')),\n",
        ),
    ),
}


def migrate(db: Database) -> None:
    for table, replacements in EDITS.items():
        edit_table(db, table, replacements)
