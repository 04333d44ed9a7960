// Tells the server the browser's time zone (cookie "tz"), so times are shown in it
// until the user picks a zone in their preferences (bugzot/timefmt.py).
(function () {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("tz=" + encodeURIComponent(zone)) === -1) {
      document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (e) { /* old browser: UTC */ }
})();
