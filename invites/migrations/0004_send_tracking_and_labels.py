# Send tracking (send_count, last_send_error[_at]: the invite page of the admin) and labels.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def count_earlier_sends(apps, schema_editor):
    """Invites sent before this migration were sent at least once."""
    BetaInvite = apps.get_model("invites", "BetaInvite")
    BetaInvite.objects.filter(sent_at__isnull=False, send_count=0).update(send_count=1)


class Migration(migrations.Migration):
    dependencies = [
        ("invites", "0003_code_64"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="betainvite",
            options={"verbose_name": "invitation bêta", "verbose_name_plural": "invitations bêta"},
        ),
        migrations.AddField(
            model_name="betainvite",
            name="last_send_error",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                max_length=500,
                verbose_name="dernière erreur d'envoi",
            ),
        ),
        migrations.AddField(
            model_name="betainvite",
            name="last_send_error_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="dernière erreur le"),
        ),
        migrations.AddField(
            model_name="betainvite",
            name="send_count",
            field=models.PositiveIntegerField(db_default=0, default=0, verbose_name="envois"),
        ),
        migrations.AlterField(
            model_name="betainvite",
            name="code",
            field=models.CharField(max_length=64, unique=True, verbose_name="code"),
        ),
        migrations.AlterField(
            model_name="betainvite",
            name="created_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, editable=False, verbose_name="créée le"
            ),
        ),
        migrations.AlterField(
            model_name="betainvite",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="invites_created",
                to=settings.AUTH_USER_MODEL,
                verbose_name="créée par",
            ),
        ),
        migrations.AlterField(
            model_name="betainvite",
            name="email",
            field=models.EmailField(db_index=True, max_length=254, verbose_name="adresse email"),
        ),
        migrations.AlterField(
            model_name="betainvite",
            name="expires_at",
            field=models.DateTimeField(verbose_name="expire le"),
        ),
        migrations.AlterField(
            model_name="betainvite",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="révoquée le"),
        ),
        migrations.AlterField(
            model_name="betainvite",
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="envoyée le"),
        ),
        migrations.AlterField(
            model_name="betainvite",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, verbose_name="modifiée le"),
        ),
        migrations.AlterField(
            model_name="betainvite",
            name="used_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="utilisée le"),
        ),
        migrations.AlterField(
            model_name="betainvite",
            name="used_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="invites_used",
                to=settings.AUTH_USER_MODEL,
                verbose_name="utilisée par",
            ),
        ),
        migrations.RunPython(count_earlier_sends, migrations.RunPython.noop),
    ]
