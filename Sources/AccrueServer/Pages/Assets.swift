import HTTPTypes
import Hummingbird

/// The pages' one stylesheet and one script, served from this binary.
enum Assets {
    static func response(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "public, max-age=3600"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Phone first: one column, cards; wider screens get a grid. Focus is always visible.
    static let css = """
    :root { --ink: #1d2433; --muted: #5b6475; --line: #d9dde5; --bg: #f5f6f8; --card: #fff; --accent: #0b5fff; --warn: #a34700; --bad: #b3261e; --good: #1b7a3a; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", sans-serif; color: var(--ink); background: var(--bg); }
    .skip { position: absolute; left: -9999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 8px; z-index: 10; }
    header.top { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; padding: 12px 16px; background: var(--ink); color: #fff; }
    header.top a { color: #fff; } header.top .brand { font-weight: 700; } header.top .who { opacity: .8; }
    header.top nav { margin-left: auto; display: flex; gap: 12px; flex-wrap: wrap; }
    header.top form { margin: 0; }
    main { max-width: 1100px; margin: 0 auto; padding: 12px; }
    h1 { font-size: 1.4rem; margin: .2em 0 .6em; } h2 { font-size: 1.1rem; margin: 0 0 .5em; } h3 { font-size: 1rem; margin: .8em 0 .3em; }
    .card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; margin: 0 0 12px; overflow-x: auto; }
    .grid { display: grid; grid-template-columns: 1fr; gap: 12px; } .grid > .card { margin: 0; }
    .grid + * { margin-top: 12px; }
    @media (min-width: 760px) { .grid { grid-template-columns: repeat(3, 1fr); } main { padding: 20px; } }
    .big { font-size: 1.8rem; font-weight: 700; margin: 0; } .worth, .small { color: var(--muted); font-size: .9rem; margin: .2em 0; }
    .warn { color: var(--warn); } .expiring.card { border-color: #f0b37e; background: #fff8f1; }
    ul.plain { list-style: none; padding: 0; margin: .3em 0; } ul.plain li { padding: 3px 0; }
    progress { width: 100%; height: 14px; accent-color: var(--accent); }
    .notice { padding: 10px 14px; border-radius: 8px; background: #e8f0ff; border: 1px solid #b8ccff; }
    .notice.ok { background: #e9f7ee; border-color: #a6d8b8; } .notice.refused { background: #fdecea; border-color: #f3b7b2; }
    table { width: 100%; border-collapse: collapse; font-size: .95rem; } th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
    td.num, th.num { text-align: right; white-space: nowrap; } tr.nothing td { color: var(--muted); } tr.refused td { color: var(--bad); }
    .rewards { list-style: none; padding: 0; margin: 0; } .rewards li { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 8px; padding: 8px 0; border-bottom: 1px solid var(--line); }
    .rewards form { display: flex; align-items: center; gap: 8px; } .kind { font-size: .8rem; color: var(--muted); border: 1px solid var(--line); border-radius: 4px; padding: 0 4px; }
    button, .button { font: inherit; padding: 8px 14px; border-radius: 8px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; min-height: 40px; }
    button.secondary { background: #fff; color: var(--accent); } button.danger { background: var(--bad); border-color: var(--bad); }
    button:disabled { opacity: .45; cursor: not-allowed; }
    :focus-visible { outline: 3px solid #ffb300; outline-offset: 2px; }
    input, select, textarea { font: inherit; padding: 6px 8px; border: 1px solid #9aa3b5; border-radius: 6px; max-width: 100%; }
    input[type=checkbox] { width: 20px; height: 20px; vertical-align: middle; }
    input[type=number] { width: 5.5em; } textarea { width: 100%; min-height: 420px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .85rem; }
    fieldset { border: 1px solid var(--line); border-radius: 8px; margin: 0 0 10px; } .service { padding: 6px 0; } label.count { white-space: nowrap; margin-left: 8px; }
    form.inline { display: inline; } form.stack label { display: block; margin: 8px 0 4px; }
    .status.held { color: var(--warn); } .status.confirmed { color: var(--good); } .status.rejected, .status.cancelled { color: var(--muted); }
    .up { color: var(--good); } .down { color: var(--bad); }
    .calendar { display: grid; grid-template-columns: repeat(7, minmax(0, 1fr)); gap: 4px; } .calendar .day { border: 1px solid var(--line); border-radius: 6px; min-height: 64px; padding: 4px; font-size: .8rem; background: #fff; }
    .calendar .head { font-weight: 600; text-align: center; font-size: .8rem; } .calendar .blank { background: transparent; border: 0; }
    .calendar .campaign { display: block; background: #fff1d6; border-radius: 4px; padding: 1px 3px; margin-top: 2px; }
    svg.chart { width: 100%; height: auto; } .legend span { margin-right: 12px; font-size: .85rem; } .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
    .legend .earned { background: #1b7a3a; } .legend .spent { background: #0b5fff; } .legend .expired { background: #b3261e; }
    dl.figures { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; } dl.figures dt { color: var(--muted); } dl.figures dd { margin: 0; font-weight: 600; }
    .problems li { color: var(--bad); }
    """

    /// Refreshes the booking quote as the choice changes; the form works without it.
    static let script = """
    (function () {
      var form = document.getElementById('booking-form');
      if (!form) return;
      var output = document.getElementById('quote');
      var pending = null;
      function refresh() {
        var data = new URLSearchParams(new FormData(form));
        data.delete('action');
        if (pending) pending.abort();
        pending = new AbortController();
        fetch('/me/bookings/quote', { method: 'POST', body: data, credentials: 'same-origin', signal: pending.signal,
                                      headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })
          .then(function (r) { return r.json(); })
          .then(function (answer) { output.textContent = answer.quote || answer.detail || ''; })
          .catch(function () {});
      }
      form.addEventListener('change', refresh);
      form.addEventListener('input', refresh);
      refresh();
    })();
    """
}
