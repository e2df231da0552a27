"""The directory as an Open Referral HSDS 3 data package: JSON, or a zip of CSV tables.

Pure code: records in, records out, so the database layer maps them and the rules here can be
tested without one. Parsing checks everything and raises `PackageInvalid` listing every problem;
serialising and parsing again gives back the same records.
"""

from referrals.hsds.csv_format import datapackage, package_to_csv_zip, parse_csv_package
from referrals.hsds.json_format import (
    location_to_hsds,
    organization_to_hsds,
    package_to_json,
    parse_json_package,
    service_at_location_to_hsds,
    service_to_hsds,
    taxonomy_term_to_hsds,
    taxonomy_to_hsds,
)
from referrals.hsds.records import (
    ELIGIBILITY_TAXONOMY,
    ELIGIBILITY_TAXONOMY_ID,
    ELIGIBILITY_TERMS,
    IDENTIFIER_SCHEME,
    IDENTIFIER_TYPE,
    ISCED_LEVELS,
    LOCATION_TYPES,
    MINIMUM_EDUCATION,
    MINIMUM_EDUCATION_TERM_ID,
    MUNICIPALITY,
    NAMESPACE,
    NEXT_INTAKE_DATE,
    NEXT_INTAKE_DATE_TERM_ID,
    SEATS_UNIT_ID,
    STATUSES,
    TARGET_GROUP,
    TARGET_GROUP_TERM_ID,
    TARGET_GROUPS,
    WAITING_LIST_LENGTH,
    WAITING_LIST_LENGTH_TERM_ID,
    WAITING_LIST_OPEN,
    WAITING_LIST_OPEN_TERM_ID,
    LocationRecord,
    OrganizationRecord,
    Package,
    PackageInvalid,
    ServiceAtLocationRecord,
    ServiceRecord,
    TaxonomyRecord,
    TaxonomyTermRecord,
    eligibility_taxonomies,
    eligibility_terms,
)
from referrals.hsds.validation import MAX_PROBLEMS

__all__ = [
    "ELIGIBILITY_TAXONOMY", "ELIGIBILITY_TAXONOMY_ID", "ELIGIBILITY_TERMS", "IDENTIFIER_SCHEME",
    "IDENTIFIER_TYPE", "ISCED_LEVELS", "LOCATION_TYPES", "MAX_PROBLEMS", "MINIMUM_EDUCATION",
    "MINIMUM_EDUCATION_TERM_ID", "MUNICIPALITY", "NAMESPACE", "NEXT_INTAKE_DATE",
    "NEXT_INTAKE_DATE_TERM_ID", "SEATS_UNIT_ID", "STATUSES", "TARGET_GROUP", "TARGET_GROUPS",
    "TARGET_GROUP_TERM_ID", "WAITING_LIST_LENGTH", "WAITING_LIST_LENGTH_TERM_ID",
    "WAITING_LIST_OPEN", "WAITING_LIST_OPEN_TERM_ID", "LocationRecord", "OrganizationRecord",
    "Package", "PackageInvalid", "ServiceAtLocationRecord", "ServiceRecord", "TaxonomyRecord",
    "TaxonomyTermRecord", "datapackage", "eligibility_taxonomies", "eligibility_terms",
    "location_to_hsds", "organization_to_hsds", "package_to_csv_zip", "package_to_json",
    "parse_csv_package", "parse_json_package", "service_at_location_to_hsds", "service_to_hsds",
    "taxonomy_term_to_hsds", "taxonomy_to_hsds",
]
