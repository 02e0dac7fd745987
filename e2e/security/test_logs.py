"""Secrets never reach the logs: a server at the most verbose level is used with keys, member
tokens, a console session and a webhook secret, then its whole output is searched for them."""
from accrue import Server


def test_keys_tokens_sessions_and_webhook_secrets_are_never_logged():
    server = Server(args=["--log-level", "trace"]).start()
    try:
        secrets = [server.key]
        made = server.call("POST", "/v1/keys", {"name": "logs", "program": "jd-points", "scopes": ["inputs:write", "members:read"]})
        assert made.status == 201, made
        key = made.json()["key"]
        secrets.append(key)
        token = server.member_token("jd-points", "alice")
        secrets.append(token)
        hook = server.call("POST", "/v1/programs/jd-points/webhooks", {"url": "http://127.0.0.1:9/hook"})
        assert hook.status == 201, hook
        secrets.append(hook.json()["secret"])
        answer = server.call("POST", "/v1/programs/jd-points/inputs", {
            "id": "l-1", "type": "points.adjusted", "member": "alice", "at": "2026-11-20T00:00:00Z",
            "data": {"points": 10, "reason": "logs"}}, key=key)
        assert answer.status == 200, answer
        assert server.call("GET", "/v1/programs/jd-points/members/alice", key=token).status == 200
        # Wrong credentials are logged as refusals, not with what was sent.
        wrong = "ak_" + "9" * 48
        secrets.append(wrong)
        assert server.call("GET", "/v1/programs", key=wrong).status == 401
        # The console: a sign-in with the key, and a page with its session.
        import urllib.parse
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            opener.open(urllib.request.Request(server.base + "/console/login", method="POST",
                                               data=urllib.parse.urlencode({"key": key}).encode()))
        except urllib.error.HTTPError as redirect:
            assert redirect.code == 303
            cookie = redirect.headers["Set-Cookie"].split(";")[0]
        secrets.append(cookie.split("=", 1)[1])
        with urllib.request.urlopen(urllib.request.Request(server.base + "/console", headers={"Cookie": cookie})) as page:
            assert page.status == 200
    finally:
        server.stop()
    log = server.log()
    assert "accrue" in log and len(log.splitlines()) > 10, "the server logged at trace level"
    # The first key is printed once at the first start, on purpose: the log after that line must not hold it.
    after = log.split("serving on", 1)[1]
    for secret in secrets:
        assert secret not in after, f"a secret ({secret[:6]}...) is in the log"
        # Nor its distinctive half (a key cut in two by a formatter would still leak).
        assert secret[len(secret) // 2:] not in after
