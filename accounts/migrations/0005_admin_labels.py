# Labels only (verbose names and choice labels, French, translated in locale/en): no SQL change.

import uuid

import django.contrib.postgres.fields
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_unbounded_name_avatar"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="apikey",
            options={"verbose_name": "clé API", "verbose_name_plural": "clés API"},
        ),
        migrations.AlterModelOptions(
            name="refreshtoken",
            options={
                "verbose_name": "jeton de rafraîchissement",
                "verbose_name_plural": "jetons de rafraîchissement",
            },
        ),
        migrations.AlterModelOptions(
            name="user",
            options={"verbose_name": "utilisateur", "verbose_name_plural": "utilisateurs"},
        ),
        migrations.AlterField(
            model_name="apikey",
            name="created_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, editable=False, verbose_name="créée le"
            ),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="expire le"),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="last_used_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="dernière utilisation"),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="name",
            field=models.CharField(max_length=100, verbose_name="nom"),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="permissions",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=32),
                blank=True,
                default=list,
                size=None,
                verbose_name="permissions",
            ),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="prefix",
            field=models.CharField(db_index=True, max_length=16, verbose_name="préfixe"),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="révoquée le"),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, verbose_name="modifiée le"),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="api_keys",
                to=settings.AUTH_USER_MODEL,
                verbose_name="utilisateur",
            ),
        ),
        migrations.AlterField(
            model_name="refreshtoken",
            name="created_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, editable=False, verbose_name="créé le"
            ),
        ),
        migrations.AlterField(
            model_name="refreshtoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="expire le"),
        ),
        migrations.AlterField(
            model_name="refreshtoken",
            name="family",
            field=models.UUIDField(db_index=True, verbose_name="session (famille)"),
        ),
        migrations.AlterField(
            model_name="refreshtoken",
            name="jti",
            field=models.UUIDField(
                default=uuid.uuid4, unique=True, verbose_name="identifiant (jti)"
            ),
        ),
        migrations.AlterField(
            model_name="refreshtoken",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="révoqué le"),
        ),
        migrations.AlterField(
            model_name="refreshtoken",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, verbose_name="modifié le"),
        ),
        migrations.AlterField(
            model_name="refreshtoken",
            name="used_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="utilisé le"),
        ),
        migrations.AlterField(
            model_name="refreshtoken",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="refresh_tokens",
                to=settings.AUTH_USER_MODEL,
                verbose_name="utilisateur",
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="avatar",
            field=models.URLField(blank=True, null=True, verbose_name="avatar (URL)"),
        ),
        migrations.AlterField(
            model_name="user",
            name="created_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, editable=False, verbose_name="inscrit le"
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="deleted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="supprimé le"),
        ),
        migrations.AlterField(
            model_name="user",
            name="deleted_email",
            field=models.EmailField(
                blank=True, max_length=254, null=True, verbose_name="adresse avant suppression"
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="email",
            field=models.EmailField(max_length=254, unique=True, verbose_name="adresse email"),
        ),
        migrations.AlterField(
            model_name="user",
            name="is_active",
            field=models.BooleanField(default=True, verbose_name="actif"),
        ),
        migrations.AlterField(
            model_name="user",
            name="name",
            field=models.CharField(blank=True, default="", verbose_name="nom"),
        ),
        migrations.AlterField(
            model_name="user",
            name="password_changed_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="mot de passe changé le"
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="role",
            field=models.CharField(
                choices=[("CREATOR", "Créateur"), ("ADMIN", "Admin (staff)")],
                default="CREATOR",
                max_length=16,
                verbose_name="rôle",
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="stripe_customer_id",
            field=models.CharField(
                blank=True, max_length=255, null=True, unique=True, verbose_name="client Stripe"
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="subscription",
            field=models.CharField(
                choices=[("FREE", "Gratuit"), ("PRO", "Pro"), ("ENTERPRISE", "Entreprise")],
                default="FREE",
                max_length=16,
                verbose_name="formule",
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, verbose_name="modifié le"),
        ),
    ]
