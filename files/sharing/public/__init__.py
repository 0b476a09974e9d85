"""The anonymous surface: public links at /s/<token>/, served by this package.

Every view here is `login_not_required` (the marker the login and
anonymous-POST middlewares honour) and nothing else in the project is. A
wrong token is 404; a revoked, expired or used-up link is 410 and sends
nothing; a password link asks first and remembers the answer for the
session. What a link shows is decided by files.access (`via_link`); the
bytes leave through files.delivery like every other download. A drop link
takes files in one request each (LinkDropView) or resumably (LinkTusView, the
tus door of files.uploads.tus under the link's rules).

base: the link lookup, the CSRF variant, the unlock; pages: what a link shows;
sending: downloads, previews, ZIPs; drops: files coming in; urls: the routes.
"""
