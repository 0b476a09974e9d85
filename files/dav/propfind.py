"""PROPFIND Depth 1 of a folder, with its multistatus written as text in one pass.

wsgidav (request_server.do_PROPFIND) builds an ElementTree of the whole
answer, about ten elements per member, and then serialises it: for a folder
of 10,000 files that was 60 % of the request's time. Here the same answer
(same resources, same property lists from each resource's `get_properties`,
same statuses and hrefs) is written straight to a string. What is not a
plain Depth 1 listing of a folder goes to wsgidav unchanged: Depth 0 (small)
and infinity (refused), conditional requests (wsgidav evaluates `If:` and
the If-* headers), a path that is not a collection.
files/tests/test_dav_propfind.py compares the two answers element by element.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from xml.etree.ElementTree import Element

from wsgidav import util  # type: ignore[import-untyped]
from wsgidav.dav_error import HTTP_BAD_REQUEST, DAVError  # type: ignore[import-untyped]

StartResponse = Callable[..., Any]
Handler = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Property = tuple[str, Any]

# Headers wsgidav's _evaluate_if_headers acts on: such a request stays wsgidav's.
CONDITIONS = (
    "HTTP_IF",
    "HTTP_IF_MATCH",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_UNMODIFIED_SINCE",
)
DAV_NS = "{DAV:}"
HEAD = '<?xml version="1.0" encoding="utf-8" ?>\n<D:multistatus xmlns:D="DAV:">'
TAIL = "</D:multistatus>"
OK = "200 OK"


def handle(
    provider: Any, environ: dict[str, Any], start_response: StartResponse, default: Handler
) -> Iterable[bytes]:
    """Answer a PROPFIND Depth 1 of a collection here; anything else with `default`."""
    if environ.get("HTTP_DEPTH") != "1" or any(name in environ for name in CONDITIONS):
        return default(environ, start_response)
    resource = provider.get_resource_inst(environ["PATH_INFO"], environ)
    if resource is None or not resource.is_collection:
        return default(environ, start_response)
    mode, names = _requested(environ)
    writer = _Writer()
    parts = [HEAD]
    with _collector_paused():
        for member in resource.get_descendants(depth="1", add_self=True):
            found = member.get_properties(mode, name_list=names if mode == "named" else None)
            parts.append(writer.response(member.get_href(), found))
    parts.append(TAIL)
    body = "".join(parts).encode("utf-8")
    start_response(
        "207 Multi-Status",
        [
            ("Content-Type", "application/xml; charset=utf-8"),
            ("Date", util.get_rfc1123_time()),
            ("Content-Length", str(len(body))),
        ],
    )
    return [body]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a listing builds its resources.

    10,000 resources and their property lists are about 200,000 objects,
    none in a cycle that outlives the request; the collector ran a pass every
    700 of them, several over the whole process: a third of rclone's listing
    in process (384-460 ms of CPU with it, 256-264 ms without). Turned back on
    by whoever turned it off (threads of one worker may overlap here).
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _requested(environ: dict[str, Any]) -> tuple[str, list[str]]:
    """The mode ("allprop", "name", "named") and names asked for, as do_PROPFIND reads them."""
    request = util.parse_xml_body(environ, allow_empty=True)
    if request is None:
        return "allprop", []  # an empty body asks for everything (RFC 4918 9.1)
    if request.tag != DAV_NS + "propfind":
        raise DAVError(HTTP_BAD_REQUEST)
    mode: str | None = None
    names: list[str] = []
    for node in request:
        wanted = {DAV_NS + "allprop": "allprop", DAV_NS + "name": "name"}.get(node.tag)
        if node.tag == DAV_NS + "prop":
            wanted = "named"
            names.extend(child.tag for child in node)
        if wanted is None:
            continue  # as wsgidav: <include> and unknown elements are ignored
        if mode is not None and not (mode == wanted == "named"):
            raise DAVError(HTTP_BAD_REQUEST)  # allprop, propname and prop exclude each other
        mode = wanted
    return mode or "named", names


class _Writer:
    """Writes <D:response> elements; remembers tags and prefixes for the whole request.

    Every namespace met so far is declared on each response (a few bytes more
    than needed, valid wherever the prefix is used), so tags are worked out
    once per request, not once per member.
    """

    def __init__(self) -> None:
        self.prefixes: dict[str, str] = {}
        self.tags: dict[str, str] = {}
        self.declared = ""
        # Shared elements (supportedlock, an empty lockdiscovery) written once.
        self.written: dict[int, tuple[Element, str]] = {}

    def response(self, href: str, found: list[Property]) -> str:
        """One <D:response>, with a <D:propstat> per status."""
        by_status: dict[str, list[str]] = {}
        for name, value in found:
            status = OK
            if isinstance(value, DAVError):
                status, value = util.get_http_status_string(value), None
            by_status.setdefault(status, []).append(self.property(name, value))
        propstats = "".join(
            f"<D:propstat><D:prop>{''.join(props)}</D:prop>"
            f"<D:status>HTTP/1.1 {status}</D:status></D:propstat>"
            for status, props in by_status.items()
        )
        return f"<D:response{self.declared}><D:href>{_text(href)}</D:href>{propstats}</D:response>"

    def property(self, name: str, value: Any) -> str:
        if isinstance(value, Element):
            # Kept with the text so that its id is not reused by another element.
            seen = self.written.get(id(value))
            if seen is None:
                seen = self.written[id(value)] = (value, self.element(value))
            return seen[1]
        tag = self.tag(name)
        if value is None or value == "":
            return f"<{tag}/>"
        return f"<{tag}>{_text(str(value))}</{tag}>"

    def element(self, element: Element) -> str:
        """`element` (a dead property, a lock, a checksum) with this request's prefixes."""
        tag = self.tag(element.tag)
        attributes = "".join(
            f' {self.tag(key)}="{_attr(value)}"' for key, value in element.attrib.items()
        )
        inner = _text(element.text or "") + "".join(
            self.element(child) + _text(child.tail or "") for child in element
        )
        if not inner:
            return f"<{tag}{attributes}/>"
        return f"<{tag}{attributes}>{inner}</{tag}>"

    def tag(self, name: str) -> str:
        """A Clark name ("{ns}local") as a prefixed name, declaring its namespace when new."""
        tag = self.tags.get(name)
        if tag is None:
            tag = self.tags[name] = self._prefixed(name)
        return tag

    def _prefixed(self, name: str) -> str:
        if not name.startswith("{"):
            return name  # no namespace: none is ever declared as the default here
        namespace, local = name[1:].split("}", 1)
        if namespace == "DAV:":
            return "D:" + local
        if namespace == "http://www.w3.org/XML/1998/namespace":
            return "xml:" + local  # bound by XML itself, never declared
        prefix = self.prefixes.get(namespace)
        if prefix is None:
            prefix = self.prefixes[namespace] = f"ns{len(self.prefixes) + 1}"
            self.declared += f' xmlns:{prefix}="{_attr(namespace)}"'
        return f"{prefix}:{local}"


def _text(text: str) -> str:
    if "&" not in text and "<" not in text and ">" not in text:
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(text: str) -> str:
    return _text(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;")
