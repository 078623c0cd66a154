from django.utils.functional import SimpleLazyObject
from wagtail.models import Page, Site


def _menu_pages(request):
    site = Site.find_for_request(request)
    if site is None:
        return []
    return list(Page.objects.live().in_menu().child_of(site.root_page))


def navigation(request):
    """The main menu: live pages under the site root that editors marked "Show in menus".

    Lazy, so pages that do not draw the menu (and cached pages) pay nothing for it.
    """
    return {"nav_pages": SimpleLazyObject(lambda: _menu_pages(request))}
