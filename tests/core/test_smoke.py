def test_alive_answers_without_dependencies(client):
    response = client.get("/health/alive/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
