"""SiteSettings moves to the `core` app (core.0001 takes it over): only Django's idea of which
app owns the model changes here. The table, `home_sitesettings`, and its rows stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('home', '0002_site_settings_terms_privacy'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='SiteSettings')],
            database_operations=[],
        ),
    ]
