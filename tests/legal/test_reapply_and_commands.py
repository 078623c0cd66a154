"""The erasure ledger brings an erasure back after a backup restore, and the commands operators
run: export, erase (refusing without --yes, asking about tickets to come), retention, reapply."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command
from django.utils import timezone

from legal import privacy
from legal.models import DataRequest, ErasedPerson
from tests.factories import make_event, make_paid_order
from tests.legal.conftest import EMAIL, NAME, move_event_to
from ticketing.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def past_order():
    event = make_event("Jazz Night", types=(("Adult", "20.00", 10),))
    order = make_paid_order(event, email=EMAIL, name=NAME)
    move_event_to(event, -10)
    return order


@pytest.fixture
def future_order():
    event = make_event("Folk Night", types=(("Adult", "15.00", 10),))
    return make_paid_order(event, email=EMAIL, name=NAME)


def restore(backup):
    """Write rows back as restoring a backup does: as they were, whatever is there now."""
    for restored in serializers.deserialize("json", backup):
        restored.save()


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_an_erasure_is_applied_again_after_a_backup_is_restored(db):
    event = make_event("Jazz Night", types=(("Adult", "20.00", 10),))
    past_order = make_paid_order(event, email=EMAIL, name=NAME)
    bystander = make_paid_order(event, email="ann@example.com")
    move_event_to(event, -10)
    request = DataRequest.objects.create(email=EMAIL, kind=DataRequest.Kind.ERASURE)
    backup = serializers.serialize("json", [*Order.objects.all(), request])
    privacy.erase_person(EMAIL)
    restore(backup)
    assert Order.objects.get(pk=past_order.pk).email == EMAIL, "the backup brought the person back"

    output = run("reapply_erasures")

    order = Order.objects.get(pk=past_order.pk)
    assert (order.name, order.email) == ("erased", "") and order.personal_data_erased_at
    assert DataRequest.objects.get(pk=request.pk).email == ""
    assert Order.objects.get(pk=bystander.pk).email == "ann@example.com"
    assert "1 order anonymised" in output and EMAIL.lower() not in output.lower()
    assert ErasedPerson.objects.get().reapplied_at is not None


def test_the_ledger_holds_no_address_and_depends_on_its_key(past_order, settings):
    privacy.erase_person(EMAIL)
    entry = ErasedPerson.objects.get()
    assert EMAIL.lower() not in entry.address_hash and len(entry.address_hash) == 64
    assert entry.address_hash == privacy.address_hash(" " + EMAIL.upper())
    settings.ERASURE_LEDGER_SALT = "another-key-" * 4
    assert privacy.address_hash(EMAIL) != entry.address_hash


def test_export_command_prints_the_persons_data_as_json(past_order):
    export = json.loads(run("export_personal_data", EMAIL))
    assert [order["reference"] for order in export["orders"]] == [past_order.reference]
    assert export["orders"][0]["name"] == NAME


def test_erase_command_refuses_without_yes_and_changes_nothing(past_order):
    with pytest.raises(CommandError) as refused:
        call_command("erase_personal_data", EMAIL)
    assert "--yes" in str(refused.value) and "1 order" in str(refused.value)
    assert EMAIL.lower() not in str(refused.value).lower()
    assert Order.objects.get(pk=past_order.pk).email == EMAIL
    assert not ErasedPerson.objects.exists()


def test_erase_command_erases_with_yes_and_prints_counts_only(past_order):
    output = run("erase_personal_data", EMAIL, "--yes")
    assert output.strip() == "Erased: 1 order anonymised."
    assert Order.objects.get(pk=past_order.pk).email == ""


def test_erase_command_wants_a_decision_about_tickets_to_come(future_order):
    with pytest.raises(CommandError) as refused:
        call_command("erase_personal_data", EMAIL, "--yes")
    message = str(refused.value)
    assert future_order.reference in message and "--keep-tickets" in message and "--refund-tickets" in message
    assert Order.objects.get(pk=future_order.pk).email == EMAIL

    output = run("erase_personal_data", EMAIL, "--yes", "--keep-tickets")
    assert "1 order anonymised" in output and "kept valid" in output
    assert Order.objects.get(pk=future_order.pk).status == Order.Status.PAID


@pytest.mark.parametrize("address", ["  ", "ann\x00@example.org", "a" * 300 + "@example.org", "ann\n@x.org"])
@pytest.mark.parametrize("command", ["erase_personal_data", "export_personal_data"])
def test_commands_refuse_what_cannot_be_an_address_and_change_nothing(past_order, command, address):
    really = ["--yes"] if command == "erase_personal_data" else []
    with pytest.raises(CommandError):
        call_command(command, address, *really, stdout=StringIO())
    assert not ErasedPerson.objects.exists()
    assert Order.objects.get(pk=past_order.pk).email == EMAIL


def test_the_exit_status_of_a_refusal_is_not_zero(past_order):
    from django.core.management import ManagementUtility

    utility = ManagementUtility(["manage.py", "erase_personal_data", EMAIL])
    with pytest.raises(SystemExit) as exited:
        utility.execute()
    assert exited.value.code != 0


def test_retention_command_prints_its_report(past_order, settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 5
    output = run("anonymise_old_orders", "--batch-size", "1")
    assert output.strip() == "Retention: 1 order anonymised."
    assert Order.objects.get(pk=past_order.pk).personal_data_erased_at is not None
    assert run("anonymise_old_orders").strip() == "Retention: 0 orders anonymised."


def test_retention_leaves_orders_within_the_period(past_order, settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 30
    privacy.anonymise_old_orders(now=timezone.now() + timedelta(days=19))
    assert Order.objects.get(pk=past_order.pk).email == EMAIL
    privacy.anonymise_old_orders(now=timezone.now() + timedelta(days=21))
    assert Order.objects.get(pk=past_order.pk).email == ""


def test_erasures_made_after_the_backup_come_back_from_the_ledger_kept_outside_it(past_order, tmp_path):
    backup = serializers.serialize("json", [*Order.objects.all(), *ErasedPerson.objects.all()])
    privacy.erase_person(EMAIL)
    ledger = tmp_path / "ledger.json"
    ledger.write_text(run("dumpdata", "legal.ErasedPerson"))
    # The backup predates the erasure: restoring it brings the order back and loses the ledger row.
    ErasedPerson.objects.all().delete()
    restore(backup)

    output = run("reapply_erasures", "--ledger", str(ledger))

    assert "1 erasure added" in output and "1 order anonymised" in output
    assert Order.objects.get(pk=past_order.pk).email == ""
    assert "1 order anonymised" not in run("reapply_erasures", "--ledger", str(ledger)), "idempotent"


@pytest.mark.parametrize("content", ["not json", '[{"fields": {"address_hash": "zz"}}]', "[1]"])
def test_a_ledger_file_that_is_not_one_is_refused_and_changes_nothing(db, tmp_path, content):
    ledger = tmp_path / "ledger.json"
    ledger.write_text(content)
    with pytest.raises(CommandError):
        call_command("reapply_erasures", "--ledger", str(ledger), stdout=StringIO())
    assert not ErasedPerson.objects.exists()
