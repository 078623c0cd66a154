import json, re
import pytest
from tests.checkin.conftest import make_staff
pytestmark = [pytest.mark.django_db(transaction=True)]

def test_axe(browser, live_server, order, event, django_user_model):
    make_staff(django_user_model, "door", "check_in_ticket", "access_admin", password="door-password-1")
    page = browser.new_page()
    out = []
    def on(msg):
        if "axe" in msg.text:
            out.append(msg.args[1].json_value())
    page.on("console", on)
    page.goto(f"{live_server.url}/admin/login/?next=/tickets/check-in/{event.pk}/")
    page.fill('input[name="username"]', "door"); page.fill('input[name="password"]', "door-password-1")
    page.click('button[type="submit"]')
    page.wait_for_timeout(3000)
    for v in out:
        for item in v:
            print(item["id"], item["help"], [n["html"][:200] for n in item["nodes"]])
    page.goto(f"{live_server.url}/tickets/orders/{order.token}/tickets/")
    page.wait_for_timeout(3000)
    print("TICKETS")
    for v in out:
        for item in v:
            print(item["id"], item["help"], [n["html"][:200] for n in item["nodes"]])
