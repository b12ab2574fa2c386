from __future__ import annotations

import re

from django.db import migrations, models

_OLD = re.compile(r"\{\{\s*(name|cycle|amount|code|reason|seed|date)\s*\}\}")


def drop_duplicate_attachments(apps, schema_editor):  # noqa: ANN001, ANN201
    """Keep the first upload of each (application, file); later copies were double submits."""
    attachment = apps.get_model("grants", "GrantAttachment")
    seen: set[tuple[int, str]] = set()
    doomed = []
    for pk, application_id, digest in attachment.objects.order_by("pk").values_list(
        "pk", "application_id", "sha256"
    ):
        if (application_id, digest) in seen:
            doomed.append(pk)
        seen.add((application_id, digest))
    attachment.objects.filter(pk__in=doomed).delete()


def simple_placeholders(apps, schema_editor):  # noqa: ANN001, ANN201
    """Letters now use {name}, not {{ name }}: rewrite the known placeholders of saved templates."""
    template = apps.get_model("grants", "LetterTemplate")
    for item in template.objects.all():
        item.subject = _OLD.sub(r"{\1}", item.subject)
        item.body = _OLD.sub(r"{\1}", item.body)
        item.save(update_fields=["subject", "body"])


class Migration(migrations.Migration):
    dependencies = [
        ("grants", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(drop_duplicate_attachments, migrations.RunPython.noop),
        migrations.RunPython(simple_placeholders, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="grantattachment",
            constraint=models.UniqueConstraint(
                fields=("application", "sha256"), name="grant_attachment_unique_file"
            ),
        ),
    ]
