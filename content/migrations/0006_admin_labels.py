# Labels only (verbose names and choice labels, French, translated in locale/en): no SQL change.

import django.contrib.postgres.fields
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0005_search_fold"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="aiusage",
            options={
                "verbose_name": "utilisation de l'IA",
                "verbose_name_plural": "utilisation de l'IA",
            },
        ),
        migrations.AlterModelOptions(
            name="contentasset",
            options={"verbose_name": "contenu", "verbose_name_plural": "contenus"},
        ),
        migrations.AlterField(
            model_name="aiusage",
            name="count",
            field=models.PositiveIntegerField(default=0, verbose_name="générations"),
        ),
        migrations.AlterField(
            model_name="aiusage",
            name="created_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, editable=False, verbose_name="créé le"
            ),
        ),
        migrations.AlterField(
            model_name="aiusage",
            name="month",
            field=models.DateField(help_text="Premier jour du mois (UTC).", verbose_name="mois"),
        ),
        migrations.AlterField(
            model_name="aiusage",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, verbose_name="modifié le"),
        ),
        migrations.AlterField(
            model_name="aiusage",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="ai_usage",
                to=settings.AUTH_USER_MODEL,
                verbose_name="créateur",
            ),
        ),
        migrations.AlterField(
            model_name="contentasset",
            name="category",
            field=models.CharField(blank=True, null=True, verbose_name="catégorie"),
        ),
        migrations.AlterField(
            model_name="contentasset",
            name="content",
            field=models.TextField(blank=True, default="", verbose_name="texte"),
        ),
        migrations.AlterField(
            model_name="contentasset",
            name="created_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, editable=False, verbose_name="créé le"
            ),
        ),
        migrations.AlterField(
            model_name="contentasset",
            name="metadata",
            field=models.JSONField(blank=True, default=dict, verbose_name="métadonnées"),
        ),
        migrations.AlterField(
            model_name="contentasset",
            name="tags",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(),
                blank=True,
                default=list,
                size=None,
                verbose_name="tags",
            ),
        ),
        migrations.AlterField(
            model_name="contentasset",
            name="title",
            field=models.CharField(verbose_name="titre"),
        ),
        migrations.AlterField(
            model_name="contentasset",
            name="type",
            field=models.CharField(
                choices=[
                    ("POST", "Publication"),
                    ("STORY", "Story"),
                    ("VIDEO", "Vidéo"),
                    ("IMAGE", "Image"),
                    ("CAPTION", "Légende"),
                ],
                max_length=16,
                verbose_name="type",
            ),
        ),
        migrations.AlterField(
            model_name="contentasset",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, verbose_name="modifié le"),
        ),
        migrations.AlterField(
            model_name="contentasset",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="content_assets",
                to=settings.AUTH_USER_MODEL,
                verbose_name="créateur",
            ),
        ),
    ]
