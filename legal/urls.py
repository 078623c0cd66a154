from django.urls import path

from legal import views

app_name = "legal"

urlpatterns = [
    path("cookies/", views.cookie_choice, name="cookie-choice"),
]
