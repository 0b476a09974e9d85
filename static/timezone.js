// Tells the server the browser's time zone (portal/timezones.py), so that
// times are shown, and link expiry read, in the reader's zone. A cookie, as
// the first page cannot know it: when the page was made for another zone,
// it is loaded once more (once per tab session, so a refused cookie cannot loop).
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  // IANA names ("America/Argentina/Buenos_Aires", "Etc/GMT+5") need no escaping.
  if (!zone || !/^[A-Za-z0-9_+\-\/]+$/.test(zone)) return;
  var secure = location.protocol === "https:" ? "; secure" : "";
  document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax" + secure;
  var shown = document.documentElement.getAttribute("data-timezone");
  if (shown && shown !== zone && !sessionStorage.getItem("tz-reloaded")) {
    sessionStorage.setItem("tz-reloaded", "1");
    // Only a page fetched with GET is fetched again.
    if (!document.querySelector("form .error, .errors")) location.reload();
  }
})();
