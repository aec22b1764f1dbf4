from django.urls import URLPattern, URLResolver

app_name = "subscription"

urlpatterns: list[URLPattern | URLResolver] = []
