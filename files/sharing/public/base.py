"""The link door's common ground: the CSRF variant, the `public` marker, the
link lookup every view starts from, and the password unlock.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import decorator_from_middleware, method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from files import access
from files.models import Link
from files.sharing import grants
from files.sharing.forms import UnlockForm
from portal.limits import Limit
from portal.proxies import client_address

# Wrong passwords allowed per window: per link (whoever guesses) and per client
# (whichever link they try), so neither one address nor many can grind a password.
GUESS_WINDOW = 15 * 60
GUESSES_PER_LINK = 20
GUESSES_PER_CLIENT = 10
# In the cache all processes share (portal.cache): a limit per process would
# be multiplied by the number of gunicorn workers and app servers.
PER_LINK = Limit("link-guesses:link", GUESSES_PER_LINK, GUESS_WINDOW)
PER_CLIENT = Limit("link-guesses:client", GUESSES_PER_CLIENT, GUESS_WINDOW)
SESSION_KEY = "unlocked_links"


class NullOriginCsrf(CsrfViewMiddleware):
    """Django's CSRF check, also accepting `Origin: null` from our own link pages.

    A page sent with `Referrer-Policy: no-referrer` makes the browser post its
    forms with `Origin: null` (Fetch standard, "serializing a request origin"),
    which Django's origin check refuses. The CSRF token (cookie and form field)
    is still required, and a page elsewhere cannot read it.
    """

    # Django's own hook for the Origin header (4.0+; the stubs omit private
    # methods); test_links pins what it does with a null and a foreign origin.
    def _origin_verified(self, request: HttpRequest) -> bool:
        null = request.META.get("HTTP_ORIGIN") == "null"
        return null or super()._origin_verified(request)  # type: ignore[misc]


link_csrf_protect = decorator_from_middleware(NullOriginCsrf)


def public(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Open to anonymous visitors; the token stays out of Referer headers and search indexes."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    # The global CSRF middleware steps aside for the variant above, never for nothing.
    protected = cast(Callable[..., HttpResponseBase], link_csrf_protect(wrapped))
    return login_not_required(csrf_exempt(protected))


@method_decorator(public, name="dispatch")
class LinkView(View):
    """Finds the link named by the token and turns it away while closed or locked."""

    link: Link
    token: str
    # The unlock view is the one a locked link may reach.
    needs_unlock = True
    is_front_page = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.token = kwargs.pop("token")
        link = grants.find_link(self.token)
        if link is None or not access.link_is_live(link):
            raise Http404("No such link.")
        closed = grants.why_closed(link)
        if closed is not None:
            return render(request, "links/gone.html", {"link": link, "reason": closed}, status=410)
        self.link = link
        if self.needs_unlock and link.password and not is_unlocked(request, link):
            # The link's own page asks politely; anything deeper is refused until then.
            status = 200 if self.is_front_page else 403
            return render_unlock(request, link, UnlockForm(), status=status)
        return super().dispatch(request, *args, **kwargs)


def is_unlocked(request: HttpRequest, link: Link) -> bool:
    return link.pk in request.session.get(SESSION_KEY, [])


def render_unlock(request: HttpRequest, link: Link, form: UnlockForm, status: int) -> HttpResponse:
    return render(request, "links/unlock.html", {"link": link, "form": form}, status=status)


class LinkUnlockView(LinkView):
    """POST /s/<token>/unlock/: a right password opens the link for this session."""

    http_method_names = ["post"]
    needs_unlock = False

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        link = self.link
        if not link.password or is_unlocked(request, link):
            return HttpResponseRedirect(reverse("links:open", args=[self.token]))
        # Counted before the password is looked at, given back when it is right.
        limits = [(PER_LINK, link.pk), (PER_CLIENT, client_address(request))]
        # Both counted, even when the first refuses (no short circuit).
        taken = [limit.take(who) for limit, who in limits]
        if not all(taken):
            response = render(request, "links/too_many.html", {"link": link}, status=429)
            response["Retry-After"] = str(GUESS_WINDOW)
            return response
        form = UnlockForm(request.POST)
        if form.is_valid() and grants.password_matches(link, form.cleaned_data["password"]):
            for limit, who in limits:
                limit.give_back(who)
            # A new session key on a change of privilege, as a login does.
            request.session.cycle_key()
            request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, []), link.pk]
            return HttpResponseRedirect(reverse("links:open", args=[self.token]))
        form.add_error("password", ValidationError("That is not the password.", code="wrong"))
        return render_unlock(request, link, form, status=403)
