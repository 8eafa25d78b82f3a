# Labels only (verbose names and choice labels, French, translated in locale/en): no SQL change.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="stripeevent",
            options={
                "verbose_name": "événement Stripe",
                "verbose_name_plural": "événements Stripe",
            },
        ),
        migrations.AlterModelOptions(
            name="subscriptionrecord",
            options={"verbose_name": "abonnement", "verbose_name_plural": "abonnements"},
        ),
        migrations.AlterField(
            model_name="stripeevent",
            name="created_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, editable=False, verbose_name="créé le"
            ),
        ),
        migrations.AlterField(
            model_name="stripeevent",
            name="event_id",
            field=models.CharField(max_length=255, unique=True, verbose_name="événement Stripe"),
        ),
        migrations.AlterField(
            model_name="stripeevent",
            name="processed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="traité le"),
        ),
        migrations.AlterField(
            model_name="stripeevent",
            name="received_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="reçu le"),
        ),
        migrations.AlterField(
            model_name="stripeevent",
            name="type",
            field=models.CharField(max_length=100, verbose_name="type"),
        ),
        migrations.AlterField(
            model_name="subscriptionrecord",
            name="cancel_at_period_end",
            field=models.BooleanField(default=False, verbose_name="annulé en fin de période"),
        ),
        migrations.AlterField(
            model_name="subscriptionrecord",
            name="created_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, editable=False, verbose_name="créé le"
            ),
        ),
        migrations.AlterField(
            model_name="subscriptionrecord",
            name="current_period_end",
            field=models.DateTimeField(blank=True, null=True, verbose_name="fin de période"),
        ),
        migrations.AlterField(
            model_name="subscriptionrecord",
            name="current_period_start",
            field=models.DateTimeField(blank=True, null=True, verbose_name="début de période"),
        ),
        migrations.AlterField(
            model_name="subscriptionrecord",
            name="last_event_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="dernier événement Stripe"
            ),
        ),
        migrations.AlterField(
            model_name="subscriptionrecord",
            name="plan",
            field=models.CharField(
                choices=[("FREE", "Gratuit"), ("PRO", "Pro"), ("ENTERPRISE", "Entreprise")],
                default="FREE",
                max_length=16,
                verbose_name="formule",
            ),
        ),
        migrations.AlterField(
            model_name="subscriptionrecord",
            name="status",
            field=models.CharField(
                choices=[
                    ("ACTIVE", "Actif"),
                    ("CANCELED", "Annulé"),
                    ("PAST_DUE", "Paiement en retard"),
                    ("UNPAID", "Impayé"),
                ],
                default="ACTIVE",
                max_length=16,
                verbose_name="statut",
            ),
        ),
        migrations.AlterField(
            model_name="subscriptionrecord",
            name="stripe_subscription_id",
            field=models.CharField(
                blank=True, max_length=255, null=True, unique=True, verbose_name="abonnement Stripe"
            ),
        ),
        migrations.AlterField(
            model_name="subscriptionrecord",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, verbose_name="modifié le"),
        ),
        migrations.AlterField(
            model_name="subscriptionrecord",
            name="user",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="subscription_record",
                to=settings.AUTH_USER_MODEL,
                verbose_name="utilisateur",
            ),
        ),
    ]
