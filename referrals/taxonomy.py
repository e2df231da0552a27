"""The taxonomies every installation shares: the kinds of skills development a client can be
referred for, the ISCO-08 fields of vocational courses, and the eligibility terms the HSDS
package uses for our extensions.

Ids are UUIDv5 of the term's code, so two installations (and an exported package) agree on them
without a registry; migration 0002 loads them.
"""

from __future__ import annotations

import uuid

from referrals import hsds
from referrals.hsds import TaxonomyRecord, TaxonomyTermRecord

NAMESPACE = uuid.UUID("3e0f6b8c-61a4-4b55-9b0c-2d6e3b0c5a10")

SKILLS = "msc-skills"
ISCO = "isco-08"


def term_id(code: str) -> str:
    return str(uuid.uuid5(NAMESPACE, code))


SKILLS_TERMS: tuple[tuple[str, str, str], ...] = (
    ("skills:cv-job-search", "CV writing and job search",
     "Courses and workshops on CVs, applications, interviews and looking for work."),
    ("skills:vocational-training", "Vocational training",
     "Training for an occupation, usually ending with a certificate; tagged with its ISCO-08 "
     "field."),
    ("skills:language-course", "Language course", "Courses in a foreign or the local language."),
    ("skills:qualification-recognition", "Recognition of qualifications",
     "Recognition of diplomas and of skills learnt at work or abroad."),
    ("skills:entrepreneurship", "Entrepreneurship support",
     "Starting a business: training, mentoring, grants and loans."),
    ("skills:pre-departure-orientation", "Pre-departure orientation",
     "What to know before working or studying abroad: rights, contracts, safe migration."),
    ("skills:reintegration", "Reintegration support for returnees",
     "Help for returnees to find work, training and services at home."),
)

ISCO_MAJOR_GROUPS: tuple[tuple[str, str], ...] = (
    ("0", "Armed forces occupations"), ("1", "Managers"), ("2", "Professionals"),
    ("3", "Technicians and associate professionals"), ("4", "Clerical support workers"),
    ("5", "Service and sales workers"),
    ("6", "Skilled agricultural, forestry and fishery workers"),
    ("7", "Craft and related trades workers"), ("8", "Plant and machine operators and assemblers"),
    ("9", "Elementary occupations"),
)


def taxonomies() -> tuple[TaxonomyRecord, ...]:
    return (
        TaxonomyRecord(id=term_id("taxonomy:" + SKILLS), name=SKILLS,
                       description="Kinds of skills development a client can be referred for.",
                       uri="https://msc.example/taxonomies/msc-skills", version="1"),
        TaxonomyRecord(id=term_id("taxonomy:" + ISCO), name=ISCO,
                       description="International Standard Classification of Occupations, "
                                   "major groups (ILO, 2008).",
                       uri="https://www.ilo.org/public/english/bureau/stat/isco/isco08/",
                       version="2008"),
        *hsds.eligibility_taxonomies(),
    )


def terms() -> tuple[TaxonomyTermRecord, ...]:
    skills_id = term_id("taxonomy:" + SKILLS)
    isco_id = term_id("taxonomy:" + ISCO)
    return (
        *(TaxonomyTermRecord(id=term_id(code), code=code, name=name, description=description,
                             parent_id=None, taxonomy_id=skills_id, language="en")
          for code, name, description in SKILLS_TERMS),
        *(TaxonomyTermRecord(id=term_id(f"isco08:{group}"), code=f"isco08:{group}", name=name,
                             description=f"ISCO-08 major group {group}", parent_id=None,
                             taxonomy_id=isco_id, language="en")
          for group, name in ISCO_MAJOR_GROUPS),
        *hsds.eligibility_terms(),
    )
