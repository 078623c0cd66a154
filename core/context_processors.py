from django.utils.functional import SimpleLazyObject

from core import site_furniture


def navigation(request):
    """`site_settings`: the site's name, contact, main menu and footer (`core.site_furniture`),
    and `nav_pages`, the menu: live pages under the site root that editors marked "Show in menus".

    Lazy, so pages that do not draw them (and cached pages) pay nothing; built once per site and
    cached, so a page that misses the page cache pays one cache read for them.
    """
    furniture = SimpleLazyObject(lambda: site_furniture.for_request(request))
    return {
        "site_settings": furniture,
        "nav_pages": SimpleLazyObject(lambda: list(furniture.menu) if furniture else []),
    }
