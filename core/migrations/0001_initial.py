"""SiteSettings, taken over from the `home` app with its table and rows (see home.0003).

No table is created: `home_sitesettings` already exists, made by home.0001 and home.0002 on a
new database as on an old one. The model's content type is renamed from home to core rather
than replaced, so the permissions groups hold on it, and Wagtail's audit log and reference
index entries that name it, stay attached to it.
"""

import django.db.models.deletion
import wagtail.fields
from django.conf import settings
from django.db import migrations, models


def _move_content_type(apps, from_app, to_app):
    content_types = apps.get_model('contenttypes', 'ContentType')
    old = content_types.objects.filter(app_label=from_app, model='sitesettings').first()
    if old is None:
        return  # a new database: the content type is made for the new app after migrating
    # One for the new app exists only if an earlier, partial `migrate` made it moments ago;
    # nothing refers to it but its own fresh permissions, so it makes way for the old one.
    content_types.objects.filter(app_label=to_app, model='sitesettings').delete()
    old.app_label = to_app
    old.save(update_fields=['app_label'])
    content_types.objects.clear_cache()


def content_type_to_core(apps, schema_editor):
    _move_content_type(apps, 'home', 'core')


def content_type_back_to_home(apps, schema_editor):
    _move_content_type(apps, 'core', 'home')


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('home', '0003_site_settings_move_to_core'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('wagtailcore', '0098_apitoken'),
        migrations.swappable_dependency(settings.WAGTAIL_PAGE_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SiteSettings',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('site_name', models.CharField(default='Jersey Events', max_length=80)),
                        ('tagline', models.CharField(blank=True, default='Live music, theatre and comedy across the island', max_length=160)),
                        ('contact_email', models.EmailField(blank=True, default='hello@jerseyevents.je', max_length=254)),
                        ('footer_links', wagtail.fields.StreamField([('link', 2)], blank=True, block_lookup={0: ('wagtail.blocks.CharBlock', (), {'max_length': 60}), 1: ('wagtail.blocks.PageChooserBlock', (), {}), 2: ('wagtail.blocks.StructBlock', [[('label', 0), ('page', 1)]], {'icon': 'link'})})),
                        ('privacy_page', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.WAGTAIL_PAGE_MODEL)),
                        ('site', models.OneToOneField(editable=False, on_delete=django.db.models.deletion.CASCADE, to='wagtailcore.site')),
                        ('terms_page', models.ForeignKey(blank=True, help_text="Linked from the checkout's 'I accept the Terms' box.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.WAGTAIL_PAGE_MODEL)),
                    ],
                    options={
                        'verbose_name': 'Site settings',
                        'db_table': 'home_sitesettings',
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to_core, content_type_back_to_home),
    ]
