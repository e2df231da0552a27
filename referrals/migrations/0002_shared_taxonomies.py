"""Load the shared taxonomies: skills-development needs, ISCO-08 fields, eligibility terms."""

from typing import Any

from django.db import migrations


def load(apps: Any, schema_editor: Any) -> None:
    from referrals.taxonomy import taxonomies, terms

    taxonomy_model = apps.get_model("referrals", "Taxonomy")
    term_model = apps.get_model("referrals", "TaxonomyTerm")
    for taxonomy in taxonomies():
        taxonomy_model.objects.update_or_create(id=taxonomy.id, defaults={
            "name": taxonomy.name, "description": taxonomy.description, "uri": taxonomy.uri,
            "version": taxonomy.version})
    for term in terms():
        term_model.objects.update_or_create(id=term.id, defaults={
            "code": term.code, "name": term.name, "description": term.description,
            "parent_id": term.parent_id, "taxonomy_id": term.taxonomy_id,
            "language": term.language})


class Migration(migrations.Migration):

    dependencies = [("referrals", "0001_directory_and_referrals")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
