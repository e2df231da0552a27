"""Code lists of intake records. Codes are stable: they travel in events and statistics."""

from __future__ import annotations

from django.db import models


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"


class ClientCategory(models.TextChoices):
    NATIONAL = "national", "National"
    RETURNEE = "returnee", "Returnee"
    IMMIGRANT = "immigrant", "Immigrant"


class EducationLevel(models.TextChoices):
    """ISCED 2011 levels."""

    ISCED_0 = "isced0", "Early childhood education"
    ISCED_1 = "isced1", "Primary education"
    ISCED_2 = "isced2", "Lower secondary education"
    ISCED_3 = "isced3", "Upper secondary education"
    ISCED_4 = "isced4", "Post-secondary non-tertiary education"
    ISCED_5 = "isced5", "Short-cycle tertiary education"
    ISCED_6 = "isced6", "Bachelor's or equivalent"
    ISCED_7 = "isced7", "Master's or equivalent"
    ISCED_8 = "isced8", "Doctoral or equivalent"


class EmploymentStatus(models.TextChoices):
    EMPLOYED = "employed", "Employed"
    UNEMPLOYED = "unemployed", "Unemployed"
    SELF_EMPLOYED = "self_employed", "Self-employed"
    STUDENT = "student", "Student"
    INACTIVE = "inactive", "Inactive"


class IscoMajorGroup(models.TextChoices):
    """ISCO-08 major groups."""

    ARMED_FORCES = "0", "Armed forces occupations"
    MANAGERS = "1", "Managers"
    PROFESSIONALS = "2", "Professionals"
    TECHNICIANS = "3", "Technicians and associate professionals"
    CLERICAL = "4", "Clerical support workers"
    SERVICE_SALES = "5", "Service and sales workers"
    AGRICULTURE = "6", "Skilled agricultural, forestry and fishery workers"
    CRAFT = "7", "Craft and related trades workers"
    OPERATORS = "8", "Plant and machine operators and assemblers"
    ELEMENTARY = "9", "Elementary occupations"


class StayPurpose(models.TextChoices):
    WORK = "work", "Work"
    ASYLUM = "asylum", "Asylum"
    STUDY = "study", "Study"
    FAMILY = "family", "Family"
    OTHER = "other", "Other"


class MigrationIntention(models.TextChoices):
    LABOUR = "labour", "Labour migration"
    STUDY = "study", "Study"
    FAMILY_REUNION = "family_reunion", "Family reunion"
    NONE = "none", "None"
    UNDECIDED = "undecided", "Undecided"


class PermitStatus(models.TextChoices):
    """Residence or work permit of an immigrant client."""

    WORK_PERMIT = "work_permit", "Work permit holder"
    RESIDENCE_PERMIT = "residence_permit", "Residence permit holder"
    ASYLUM_SEEKER = "asylum_seeker", "Asylum seeker"
    REFUGEE = "refugee", "Recognised refugee or subsidiary protection"
    NO_PERMIT = "no_permit", "No permit"
    OTHER = "other", "Other"


class ConsentScope(models.TextChoices):
    SERVICE = "service", "Personal data for the services of the centre"
    SERVICE_AND_REFERRAL = "service_referral", "Also shared with referral partners"


class Channel(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    PHONE = "phone", "Phone"
    EMAIL = "email", "E-mail"
    ONLINE = "online", "Online"


class Service(models.TextChoices):
    INFORMATION = "information", "Information"
    COUNSELLING = "counselling", "Counselling"
    REFERRAL = "referral", "Referral"


class Topic(models.TextChoices):
    VISAS = "visas", "Visas"
    WORK_PERMITS = "work_permits", "Work permits"
    SOCIAL_SECURITY_HEALTH = "social_security_health", "Social security and health"
    LABOUR_MARKET = "labour_market", "Labour market"
    STUDY_SCHOLARSHIPS = "study_scholarships", "Study and scholarships"
    RETURN = "return", "Return"
    PRE_DEPARTURE = "pre_departure", "Pre-departure orientation"
    OTHER = "other", "Other"
