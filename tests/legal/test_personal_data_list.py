"""The list of personal data is complete: every field that looks personal, in our apps, the task
queue and Wagtail's audit log, is either on `PERSONAL_DATA` (with how it is erased and why it is
kept) or on `NOT_PERSONAL` (with why not). A new column named like personal data fails here
until someone decides which it is."""

import re

import pytest
from django.apps import apps

from legal import privacy

# Words in a field's name that suggest it holds something about a person.
LOOKS_PERSONAL = re.compile(
    r"(^|_)(name|username|first_name|last_name|surname|title|e?mail|email|phone|mobile|address|"
    r"ip|agent|user_agent|venue|location|postcode|birth|contact|notes?|label|raw|payload|data|"
    r"args_kwargs|return_value|traceback|identity_check|reason|error|detail|resolution|outcome)(_|$)"
    r"|email|_ip$|^ip_",
)

OUR_APPS = ("core", "home", "legal", "ticketing", "django_tasks_database")
WAGTAIL_LOG_MODELS = ("wagtailcore.ModelLogEntry", "wagtailcore.PageLogEntry")


def models_walked():
    walked = [model for label in OUR_APPS for model in apps.get_app_config(label).get_models()]
    return walked + [apps.get_model(label) for label in WAGTAIL_LOG_MODELS]


def declared(entries):
    return {(entry.model.lower(), name) for entry in entries for name in entry.fields}


def suspicious_fields():
    """(the model that defines the field, field name) for every field whose name looks personal."""
    found = set()
    for model in models_walked():
        for field in model._meta.get_fields():
            if not getattr(field, "concrete", False) or field.is_relation:
                continue
            if LOOKS_PERSONAL.search(field.name) or field.get_internal_type() == "JSONField":
                found.add((field.model._meta.label_lower, field.name))
    return found


def test_every_field_that_looks_personal_is_on_one_of_the_lists():
    known = declared(privacy.PERSONAL_DATA) | declared(privacy.NOT_PERSONAL)
    missing = sorted(suspicious_fields() - known)
    assert not missing, (
        "Add these to legal.privacy.PERSONAL_DATA (with how they are erased) or NOT_PERSONAL "
        f"(with why not): {missing}"
    )


def test_the_walk_sees_the_places_it_must():
    found = suspicious_fields()
    for place in [
        ("ticketing.order", "email"),
        ("ticketing.order", "created_ip"),
        ("legal.datarequest", "email"),
    ]:
        assert place in found
    assert ("django_tasks_database.dbtaskresult", "args_kwargs") in found
    assert ("wagtailcore.modellogentry", "label") in found


def test_no_field_is_on_both_lists():
    assert not declared(privacy.PERSONAL_DATA) & declared(privacy.NOT_PERSONAL)


@pytest.mark.parametrize("entry", [*privacy.PERSONAL_DATA, *privacy.NOT_PERSONAL], ids=lambda e: e.model)
def test_every_entry_names_real_fields_and_says_why(entry):
    assert entry.why.strip()
    if not entry.fields:
        return  # a whole app (the development-only sandbox)
    model = apps.get_model(entry.model)
    names = {field.name for field in model._meta.get_fields()}
    assert set(entry.fields) <= names, f"{entry.model} has no field {set(entry.fields) - names}"


def test_every_personal_place_says_how_it_is_erased():
    ways = {value for name, value in vars(privacy.How).items() if name.isupper()}
    for place in privacy.PERSONAL_DATA:
        assert place.how in ways, place


def test_a_new_personal_looking_field_would_be_caught():
    assert LOOKS_PERSONAL.search("buyer_phone")
    assert LOOKS_PERSONAL.search("terms_accepted_ip")
    assert LOOKS_PERSONAL.search("billing_address")
    assert not LOOKS_PERSONAL.search("quantity")
