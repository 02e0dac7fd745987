def test_the_server_starts_with_the_presets(server):
    answer = server.call("GET", "/v1/programs")
    assert answer.status == 200, answer
    ids = sorted(p["id"] for p in answer.json()["programs"])
    assert ids == ["aliexpress-coins", "aliexpress-levels", "aliexpress-store", "cj-rewards", "jd-points"]
