"""A Django app answering sse-server's auth hook with Django's own session middleware.

The smallest Django project that shows the recipe of docs/integration.md, section 7: a login
that puts the user in the session, a logout that ends it, and GET /sse/auth, which the daemon
calls with the browser's cookies for every new stream. Sessions are Django's file backend, so
no database is needed; a real app keeps its own backend and its own login.

    PORT=8000 SESSION_DIR=/tmp/sessions python3 app.py

and in sse-server.toml:

    [auth]
    methods = ["hook"]
    [auth.hook]
    url = "http://127.0.0.1:8000/sse/auth"
"""
import os
import sys
import tempfile
from wsgiref.simple_server import WSGIRequestHandler, make_server

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    # Example only: a real app reads its secret from its own configuration.
    SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "example-only-not-a-secret"),
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.sessions"],
    MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware"],
    SESSION_ENGINE="django.contrib.sessions.backends.file",
    SESSION_FILE_PATH=os.environ.get("SESSION_DIR") or tempfile.mkdtemp(),
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


def login(request):
    """GET /login?user=42: the user is logged in (an example: a real app checks a password)."""
    request.session.cycle_key()
    request.session["user_id"] = request.GET["user"]
    request.session["groups"] = ["team-a"]
    return JsonResponse({"user": request.session["user_id"]})


def logout(request):
    request.session.flush()
    return HttpResponse(status=204)


def sse_auth(request):
    """The auth hook: who the request's session is, and what the user may subscribe to."""
    user = request.session.get("user_id")
    if user is None:
        return JsonResponse({"error": "not logged in"}, status=401)
    return JsonResponse({"user": user,
                         "grants": ["orders:*", "inbox:{user}"],
                         "groups": request.session.get("groups", [])})


urlpatterns = [path("login", login), path("logout", logout), path("sse/auth", sse_auth)]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


if __name__ == "__main__":
    server = make_server("127.0.0.1", int(os.environ.get("PORT", "8000")),
                         get_wsgi_application(), handler_class=QuietHandler)
    print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)
